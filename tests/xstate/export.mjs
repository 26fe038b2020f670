// Export XState machine configs to JSON without losing inline logic silently.
//
//   node tests/xstate/export.mjs > tests/statechart/fixtures/exported.json
//
// JSON.stringify(machine.config) drops inline functions (or writes null inside arrays), and a
// dropped guard makes its transition unguarded. exportConfig() instead writes "inline:<kind>" in
// place of every function, which the Python interpreter refuses with the config path, and writes
// xstate's and()/or()/not() guards in our JSON form ({type: "and", guards: [...]}, ...).
// Running this file prints the fixtures the Python tests load: real exports of small machines.
import { and, assign, emit, not, or, setup } from 'xstate';

const inlineName = (fn, kind) => `inline:${kind}${fn.name ? `:${fn.name}` : ''}`;

function replacer(key, value) {
  if (typeof value !== 'function') return value;
  if ('check' in value && Array.isArray(value.guards)) {
    const members = value.guards.map((g) =>
      typeof g === 'function' && !('check' in g) ? inlineName(g, 'guard') : g,
    );
    return value.name === 'not' ? { type: 'not', guard: members[0] } : { type: value.name, guards: members };
  }
  if (typeof value.type === 'string') return `inline:${value.type}`;
  const kind = ['guard', 'context', 'output'].includes(key) ? key : 'function';
  return value.name && value.name !== key ? inlineName(value, kind) : `inline:${kind}`;
}

export const exportConfig = (machine) => JSON.parse(JSON.stringify(machine.config, replacer));

const named = setup({
  actions: { log: assign({ log: ({ context }, p) => [...context.log, p.msg] }) },
  guards: { ctxGte: ({ context }, p) => context[p.key] >= p.value, isReady: () => true },
});

const namedMachine = named.createMachine({
  id: 'exported',
  initial: 'idle',
  states: {
    idle: {
      entry: [{ type: 'log', params: { msg: 'en:idle' } }],
      on: {
        GO: [
          { guard: and([{ type: 'ctxGte', params: { key: 'n', value: 1 } }, not('isReady')]), target: 'never' },
          { guard: or(['isReady']), target: 'busy', actions: [{ type: 'log', params: { msg: 't:GO' } }] },
        ],
      },
    },
    busy: { after: { 100: 'done' }, on: { STOP: '#exported.idle' } },
    never: {},
    done: { type: 'final' },
  },
});

const inlineMachine = (state) => named.createMachine({ id: 'inline', initial: 's', states: { s: state, t: {} } });

const fixtures = {
  named: exportConfig(namedMachine),
  inline_assign: exportConfig(inlineMachine({ entry: [assign({ n: 1 })] })),
  inline_emit_single: exportConfig(inlineMachine({ exit: emit({ type: 'bye' }) })),
  inline_guard: exportConfig(inlineMachine({ on: { GO: { target: 't', guard: ({ context }) => context.ok } } })),
  inline_guard_in_and: exportConfig(
    inlineMachine({ on: { GO: { target: 't', guard: and(['isReady', function isBig() { return true; }]) } } }),
  ),
  inline_action_function: exportConfig(inlineMachine({ on: { GO: { actions: [function notify() {}] } } })),
  inline_context: exportConfig(
    named.createMachine({ id: 'ctx', context: ({ input }) => ({ ...input }), initial: 's', states: { s: {} } }),
  ),
  stringify_inline_actions: JSON.parse(
    JSON.stringify(inlineMachine({ entry: [assign({ n: 1 }), { type: 'log', params: { msg: 'x' } }] }).config),
  ),
  definition: JSON.parse(JSON.stringify(namedMachine.toJSON())),
};

process.stdout.write(JSON.stringify(fixtures, null, 1) + '\n');
