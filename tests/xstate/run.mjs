// Run statechart scenarios through real XState and print the recorded truth as JSON.
//
//   node tests/xstate/run.mjs <scenarios.json | folder of *.json> ...
//
// Prints {"<scenario name>": [step, ...]} with the recording pattern of the shared vectors
// (tests/vectors/README.md §4): untimed scenarios restore a JSON round-tripped persisted snapshot into a
// new actor for every event; timed ones run one live actor on a SimulatedClock, where
// {"tick": N} advances the clock by N ms.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock, createActor } from 'xstate';

import { buildMachine } from './harness.mjs';

function record(actor, emitted) {
  const s = actor.getSnapshot();
  const step = { value: s.value, context: s.context, status: s.status, output: s.output ?? null, emitted };
  return JSON.parse(JSON.stringify(step));
}

const roundtrip = (value) => JSON.parse(JSON.stringify(value));

function runUntimed(machine, scenario) {
  let emitted = [];
  const listen = (actor) => actor.on('*', (event) => emitted.push(event));
  const first = createActor(machine, { input: scenario.input });
  listen(first);
  first.start();
  const steps = [record(first, emitted)];
  let persisted = roundtrip(first.getPersistedSnapshot());
  first.stop();
  for (const event of scenario.events) {
    emitted = [];
    const actor = createActor(machine, { snapshot: persisted, input: scenario.input });
    listen(actor);
    actor.start();
    actor.send(event);
    steps.push(record(actor, emitted));
    persisted = roundtrip(actor.getPersistedSnapshot());
    actor.stop();
  }
  return steps;
}

function runTimed(machine, scenario) {
  let emitted = [];
  const clock = new SimulatedClock();
  const actor = createActor(machine, { input: scenario.input, clock });
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  const steps = [record(actor, emitted)];
  for (const entry of scenario.events) {
    emitted = [];
    if ('tick' in entry) clock.increment(entry.tick);
    else actor.send(entry);
    steps.push(record(actor, emitted));
  }
  actor.stop();
  return steps;
}

function scenarioFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(path, name));
}

const truth = {};
for (const file of process.argv.slice(2).flatMap(scenarioFiles)) {
  for (const scenario of JSON.parse(readFileSync(file, 'utf8'))) {
    if (scenario.name in truth) throw new Error(`duplicate scenario name ${scenario.name} in ${file}`);
    const machine = buildMachine(scenario);
    truth[scenario.name] = scenario.timed ? runTimed(machine, scenario) : runUntimed(machine, scenario);
  }
}
process.stdout.write(JSON.stringify(truth, null, 1) + '\n');
