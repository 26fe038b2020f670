// Named implementations shared by run.mjs, mirroring tests/statechart/harness.py.
import { and, assign, emit, enqueueActions, not, or, raise, setup } from 'xstate';

export const getPath = (value, path) =>
  path
    .split('.')
    .reduce((v, k) => (v !== null && typeof v === 'object' && k in v ? v[k] : undefined), value);

export const actions = {
  log: assign({ log: ({ context }, p) => [...context.log, p.msg] }),
  set: assign(({ event }, p) => ({ [p.key]: getPath(event, p.from) })),
  inc: assign(({ context }, p) => ({ [p.key]: (context[p.key] || 0) + 1 })),
  emitEv: emit(({ context }, p) => ({ type: p.type, data: { [p.key]: context[p.key] } })),
  raiseEv: raise((_, p) => ({ type: p.type })),
  logEvent: assign({ log: ({ context, event }, p) => [...context.log, p.prefix + event.type] }),
  expand: enqueueActions(({ enqueue }, p) => {
    for (const action of p.actions) enqueue(action);
  }),
};

export const guards = {
  evEq: ({ event }, p) => getPath(event, p.path) === p.value,
  ctxGte: ({ context }, p) => context[p.key] >= p.value,
  ctxLt: ({ context }, p) => context[p.key] < p.value,
  ctxEq: ({ context }, p) => context[p.key] === p.value,
};

export const delays = {
  short: 100,
  long: 1000,
  ctxDelay: ({ context }) => context.delay,
};

// Our JSON spelling of combinators ({type: 'and', guards}, {type: 'not', guard}) → xstate's.
function toGuard(guard) {
  if (guard && typeof guard === 'object' && !Array.isArray(guard)) {
    if (guard.type === 'and') return and(guard.guards.map(toGuard));
    if (guard.type === 'or') return or(guard.guards.map(toGuard));
    if (guard.type === 'not') return not(toGuard(guard.guard));
  }
  return guard;
}

function convertGuards(value) {
  if (Array.isArray(value)) return value.map(convertGuards);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = key === 'guard' ? toGuard(child) : convertGuards(child);
    }
    return out;
  }
  return value;
}

export function buildMachine(scenario) {
  const config = convertGuards(scenario.config);
  if (scenario.context_from_input !== false) {
    config.context = ({ input }) => ({ log: [], ...input });
  }
  if ((scenario.machine_output ?? 'final') !== 'none') {
    config.output = ({ context }) => ({ final: context });
  }
  return setup({ actions, guards, delays }).createMachine(config);
}
