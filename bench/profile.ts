/**
 * `npm run bench -- --profile`: where sessionlog's time goes. Runs the
 * sessionlog side of scenarios 1, 2, 4, 5 and 6 once each under the V8 CPU
 * profiler (CDP) on an unminified build, and prints the functions with the
 * most self time, plus how much of the wall time the page was idle (waiting
 * for IndexedDB, which works in the browser process).
 */
import type { BrowserContext, CDPSession, Page } from 'playwright';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export async function startProfile(context: BrowserContext, page: Page): Promise<CDPSession> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  return cdp;
}

/** Stops the profiler and summarizes self time per function. */
export async function stopProfile(cdp: CDPSession, title: string, top = 22): Promise<string> {
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  await cdp.detach();
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  // timeDeltas[i] is the time before sample i: attribute it to the previous sample's node.
  for (let i = 1; i < samples.length; i++) {
    const frame = byNode.get(samples[i - 1]!);
    const dt = (deltas[i] ?? 0) / 1000;
    total += dt;
    if (!frame) continue;
    const file = frame.url.split('/').pop() ?? '';
    const name =
      frame.functionName.startsWith('(') || !file
        ? frame.functionName || '(anonymous)'
        : `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]);
  const idle = self.get('(idle)') ?? 0;
  const lines = [
    `## ${title}`,
    '',
    `wall ${total.toFixed(1)} ms; idle (waiting for IndexedDB / the other page) ${idle.toFixed(1)} ms; JS and GC on the main thread ${(total - idle).toFixed(1)} ms`,
    '',
    '| self ms | % of busy | function |',
    '|---:|---:|---|',
    ...rows
      .filter(([name]) => name !== '(idle)')
      .slice(0, top)
      .map(
        ([name, ms]) =>
          `| ${ms.toFixed(1)} | ${((100 * ms) / Math.max(total - idle, 1e-9)).toFixed(1)}% | \`${name}\` |`,
      ),
    '',
  ];
  return lines.join('\n');
}
