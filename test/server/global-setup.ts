/**
 * vitest globalSetup of the `server` project: one throwaway PostgreSQL cluster
 * for the whole run, stopped at the end, also when the run fails or is
 * interrupted. Tests read its URL with `inject('pgUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { type Cluster, PG_BASE_PORT, startCluster } from './pg-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

let cluster: Cluster | undefined;

const stopNow = () => {
  void cluster?.destroy();
};

export async function setup(project: TestProject): Promise<void> {
  cluster = await startCluster(PG_BASE_PORT);
  process.once('SIGINT', stopNow);
  process.once('SIGTERM', stopNow);
  project.provide('pgUrl', cluster.url);
}

export async function teardown(): Promise<void> {
  process.off('SIGINT', stopNow);
  process.off('SIGTERM', stopNow);
  await cluster?.destroy();
  cluster = undefined;
}
