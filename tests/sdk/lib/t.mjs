// t.mjs — the smallest test runner: test(name, fn) registers, run(suite) runs them in order,
// prints one line per test and a summary, and sets the exit status.

const tests = [];

export function test(name, fn) {
  tests.push({ name, fn });
}

export async function run(suite) {
  let passed = 0, failed = 0;
  for (const t of tests) {
    try {
      await t.fn();
      console.log(`ok   ${suite}: ${t.name}`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${suite}: ${t.name}`);
      console.log(String(e && e.stack ? e.stack : e).split('\n').slice(0, 12).map((l) => `     ${l}`).join('\n'));
      failed++;
    }
  }
  console.log(`${suite}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
