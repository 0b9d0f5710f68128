import type { AlgorithmName } from '../proxy-config.js';
import type { Balancer, RandomSource } from './balancer.js';
import { ConsistentHash } from './consistent-hash.js';
import { LeastConnections } from './least-connections.js';
import { PowerOfTwo } from './power-of-two.js';
import { RoundRobin } from './round-robin.js';
import { SourceHash } from './source-hash.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/** Options of createBalancer. */
export interface BalancerOptions {
  /** For power-of-two; default Math.random. */
  random?: RandomSource;
}

/** A new instance of the named algorithm (each listener of each thread has its own). */
export function createBalancer(name: AlgorithmName, options: BalancerOptions = {}): Balancer {
  switch (name) {
    case 'round-robin':
      return new RoundRobin();
    case 'weighted-round-robin':
      return new WeightedRoundRobin();
    case 'least-connections':
      return new LeastConnections(false);
    case 'weighted-least-connections':
      return new LeastConnections(true);
    case 'power-of-two':
      return new PowerOfTwo(options.random);
    case 'source-hash':
      return new SourceHash();
    case 'consistent-hash':
      return new ConsistentHash();
  }
}
