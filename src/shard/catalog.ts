/**
 * The collections stored on this node, one directory each under `<data-dir>/collections/`:
 * `config.json` (written atomically: temp file, fsync, rename) and `shards/<n>/` (one LMDB store
 * per shard). A directory without a config is a create that did not finish; a delete first
 * renames the directory away (atomic), then removes it, so a crash never leaves half a
 * collection visible. Creates and deletes are serialised.
 */

import { mkdirSync, openSync, fsyncSync, closeSync, writeFileSync, renameSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HektorError } from '../base/errors.js';
import { LIMITS } from '../base/limits.js';
import { Collection, localShardIds, type CollectionConfig } from './collection.js';
import { LocalShard } from './local-shard.js';

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TRASH_PREFIX = '.deleted-';

/** Throws invalid_collection_name unless `name` is a valid collection name. */
export function validateCollectionName(name: string): void {
  if (name.length === 0 || name.length > LIMITS.collectionNameLengthMax || !NAME_RE.test(name)) {
    throw new HektorError(
      'invalid_collection_name',
      `collection name "${name.slice(0, 80)}" is not allowed: use 1..${LIMITS.collectionNameLengthMax} characters from A-Z a-z 0-9 _ . - not starting with . or -`,
    );
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFileDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  fsyncPath(tmp);
  renameSync(tmp, path);
}

/** All collections of this node. */
export class Catalog {
  private readonly root: string;
  private readonly collections = new Map<string, Collection>();
  /** Shards opened by this catalog refuse client writes until a write gate is installed. */
  private gated = false;
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(root: string) {
    this.root = root;
  }

  /**
   * Opens every collection under `<dataDir>/collections`, cleaning up unfinished creates and
   * deletes. With `gated`, every shard refuses client writes until the replication runtime
   * installs its write gate (a cluster node: the shard map decides who is primary).
   */
  static open(dataDir: string, options: { gated?: boolean } = {}): Catalog {
    const root = join(dataDir, 'collections');
    mkdirSync(root, { recursive: true });
    const catalog = new Catalog(root);
    catalog.gated = options.gated === true;
    for (const entry of readdirSync(root)) {
      const dir = join(root, entry);
      if (entry.startsWith(TRASH_PREFIX) || !existsSync(join(dir, 'config.json'))) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as CollectionConfig;
      catalog.collections.set(config.name, Catalog.openCollection(dir, config, catalog.gated));
    }
    return catalog;
  }

  private static openCollection(dir: string, config: CollectionConfig, gated: boolean): Collection {
    const shards = localShardIds(config).map((i) => Catalog.openShard(join(dir, 'shards', String(i)), config, gated));
    return new Collection(config, shards);
  }

  private static openShard(shardDir: string, config: CollectionConfig, gated: boolean): LocalShard {
    mkdirSync(shardDir, { recursive: true });
    const shard = LocalShard.open(
      shardDir,
      {
        dim: config.vectors.size,
        distance: config.vectors.distance,
        hnswM: config.hnsw_config.m,
        hnswEfConstruct: config.hnsw_config.ef_construct,
        onDiskPayload: config.on_disk_payload,
      },
      config.payload_schema,
    );
    if (gated) shard.requireWriteGate();
    return shard;
  }

  private serialise<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Every collection, by name order. */
  list(): Collection[] {
    return [...this.collections.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The collection, or a collection_not_found error. */
  get(name: string): Collection {
    const c = this.collections.get(name);
    if (c === undefined) throw new HektorError('collection_not_found', `collection "${name}" does not exist; create it with PUT /collections/${name}`);
    return c;
  }

  /** True if the collection exists. */
  has(name: string): boolean {
    return this.collections.has(name);
  }

  /** Creates a collection durably; fails with collection_exists if the name is taken. */
  create(config: CollectionConfig): Promise<Collection> {
    return this.serialise(() => {
      validateCollectionName(config.name);
      if (this.collections.has(config.name)) {
        throw new HektorError('collection_exists', `collection "${config.name}" already exists; delete it first or pick another name`);
      }
      const dir = join(this.root, config.name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'shards'), { recursive: true });
      const collection = Catalog.openCollection(dir, config, this.gated);
      writeFileDurably(join(dir, 'config.json'), JSON.stringify(config, null, 2));
      fsyncPath(dir);
      fsyncPath(this.root);
      this.collections.set(config.name, collection);
      return collection;
    });
  }

  /**
   * Changes which shards of a collection this node holds: shards no longer listed are closed and
   * their data removed; new ones are created empty (a replica that will catch up from its
   * primary). Shards kept are the same objects. The config is written durably first.
   */
  setLocalShards(name: string, shardIds: readonly number[]): Promise<Collection> {
    return this.serialise(async () => {
      const old = this.get(name);
      const wanted = [...new Set(shardIds)].sort((a, b) => a - b);
      const config: CollectionConfig = { ...old.config, local_shards: wanted };
      const dir = join(this.root, name);
      writeFileDurably(join(dir, 'config.json'), JSON.stringify(config, null, 2));
      const shards: LocalShard[] = [];
      for (const id of wanted) {
        const kept = old.shard(id);
        if (kept !== undefined) {
          shards.push(kept);
          continue;
        }
        const shardDir = join(dir, 'shards', String(id));
        rmSync(shardDir, { recursive: true, force: true });
        shards.push(Catalog.openShard(shardDir, config, this.gated));
      }
      for (const id of old.shardIds) {
        if (wanted.includes(id)) continue;
        await old.shard(id)?.close();
        rmSync(join(dir, 'shards', String(id)), { recursive: true, force: true });
      }
      fsyncPath(join(dir, 'shards'));
      const collection = new Collection(config, shards);
      this.collections.set(name, collection);
      return collection;
    });
  }

  /** Persists a changed config (payload schema). */
  saveConfig(collection: Collection): Promise<void> {
    return this.serialise(() => {
      writeFileDurably(join(this.root, collection.name, 'config.json'), JSON.stringify(collection.config, null, 2));
    });
  }

  /** Deletes a collection and frees its disk; returns false if it did not exist. */
  delete(name: string): Promise<boolean> {
    return this.serialise(async () => {
      const collection = this.collections.get(name);
      if (collection === undefined) return false;
      this.collections.delete(name);
      await collection.close();
      const trash = join(this.root, `${TRASH_PREFIX}${name}-${process.pid}-${Date.now()}`);
      renameSync(join(this.root, name), trash);
      fsyncPath(this.root);
      rmSync(trash, { recursive: true, force: true });
      return true;
    });
  }

  /** Closes every collection. */
  async close(): Promise<void> {
    await this.serialise(async () => {
      await Promise.all([...this.collections.values()].map((c) => c.close()));
      this.collections.clear();
    });
  }
}
