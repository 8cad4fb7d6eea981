/** Running commands: the helpers `bg-scaffold verify` uses, shared with the test harness. */
export * from '../../src/verify/process.js';
