/**
 * Prometheus metrics of a node: HTTP request counts and latency per endpoint, and per-collection
 * gauges (points, payload index sizes) read from the catalog at scrape time.
 */

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog } from '../shard/catalog.js';

/** The metrics of one node, on a registry of its own (tests run several nodes in one process). */
export class NodeMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Requests by method, route pattern and status. */
  readonly requests: Counter<'method' | 'route' | 'status'>;
  /** Request latency by method and route pattern. */
  readonly latency: Histogram<'method' | 'route'>;
  /** Searches by the planner path they took. */
  readonly searchPaths: Counter<'path'>;

  /** Creates the metrics; gauges read `catalog` when scraped. */
  constructor(catalog: Catalog) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'hektor_process_' });
    this.requests = new Counter({
      name: 'hektor_http_requests_total',
      help: 'HTTP requests by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'hektor_http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.searchPaths = new Counter({
      name: 'hektor_search_plans_total',
      help: 'Shard searches by the path the filter planner chose',
      labelNames: ['path'],
      registers,
    });
    new Gauge({
      name: 'hektor_collection_points',
      help: 'Live points per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) this.set({ collection: c.name }, c.pointCount);
      },
    });
    new Gauge({
      name: 'hektor_collection_shards',
      help: 'Local shards per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) this.set({ collection: c.name }, c.shards.length);
      },
    });
    new Gauge({
      name: 'hektor_vector_index_size',
      help: 'Vectors in the HNSW index per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) this.set({ collection: c.name }, c.indexedVectorCount);
      },
    });
    new Gauge({
      name: 'hektor_payload_index_points',
      help: 'Points in each payload index',
      labelNames: ['collection', 'field'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) {
          for (const [field, info] of Object.entries(c.payloadSchemaInfo())) this.set({ collection: c.name, field }, info.points);
        }
      },
    });
  }
}
