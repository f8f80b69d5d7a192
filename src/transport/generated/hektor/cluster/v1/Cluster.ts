// Original file: proto/hektor/cluster/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HeartbeatReply as _hektor_cluster_v1_HeartbeatReply, HeartbeatReply__Output as _hektor_cluster_v1_HeartbeatReply__Output } from '../../../hektor/cluster/v1/HeartbeatReply.js';
import type { HeartbeatRequest as _hektor_cluster_v1_HeartbeatRequest, HeartbeatRequest__Output as _hektor_cluster_v1_HeartbeatRequest__Output } from '../../../hektor/cluster/v1/HeartbeatRequest.js';
import type { JoinReply as _hektor_cluster_v1_JoinReply, JoinReply__Output as _hektor_cluster_v1_JoinReply__Output } from '../../../hektor/cluster/v1/JoinReply.js';
import type { JoinRequest as _hektor_cluster_v1_JoinRequest, JoinRequest__Output as _hektor_cluster_v1_JoinRequest__Output } from '../../../hektor/cluster/v1/JoinRequest.js';
import type { LeaveReply as _hektor_cluster_v1_LeaveReply, LeaveReply__Output as _hektor_cluster_v1_LeaveReply__Output } from '../../../hektor/cluster/v1/LeaveReply.js';
import type { LeaveRequest as _hektor_cluster_v1_LeaveRequest, LeaveRequest__Output as _hektor_cluster_v1_LeaveRequest__Output } from '../../../hektor/cluster/v1/LeaveRequest.js';
import type { ProposeReply as _hektor_cluster_v1_ProposeReply, ProposeReply__Output as _hektor_cluster_v1_ProposeReply__Output } from '../../../hektor/cluster/v1/ProposeReply.js';
import type { ProposeRequest as _hektor_cluster_v1_ProposeRequest, ProposeRequest__Output as _hektor_cluster_v1_ProposeRequest__Output } from '../../../hektor/cluster/v1/ProposeRequest.js';
import type { RaftAck as _hektor_cluster_v1_RaftAck, RaftAck__Output as _hektor_cluster_v1_RaftAck__Output } from '../../../hektor/cluster/v1/RaftAck.js';
import type { RaftBatch as _hektor_cluster_v1_RaftBatch, RaftBatch__Output as _hektor_cluster_v1_RaftBatch__Output } from '../../../hektor/cluster/v1/RaftBatch.js';
import type { ReadMetadataReply as _hektor_cluster_v1_ReadMetadataReply, ReadMetadataReply__Output as _hektor_cluster_v1_ReadMetadataReply__Output } from '../../../hektor/cluster/v1/ReadMetadataReply.js';
import type { ReadMetadataRequest as _hektor_cluster_v1_ReadMetadataRequest, ReadMetadataRequest__Output as _hektor_cluster_v1_ReadMetadataRequest__Output } from '../../../hektor/cluster/v1/ReadMetadataRequest.js';
import type { ReplicaCallReply as _hektor_cluster_v1_ReplicaCallReply, ReplicaCallReply__Output as _hektor_cluster_v1_ReplicaCallReply__Output } from '../../../hektor/cluster/v1/ReplicaCallReply.js';
import type { ReplicaCallRequest as _hektor_cluster_v1_ReplicaCallRequest, ReplicaCallRequest__Output as _hektor_cluster_v1_ReplicaCallRequest__Output } from '../../../hektor/cluster/v1/ReplicaCallRequest.js';
import type { ReplicationAck as _hektor_cluster_v1_ReplicationAck, ReplicationAck__Output as _hektor_cluster_v1_ReplicationAck__Output } from '../../../hektor/cluster/v1/ReplicationAck.js';
import type { ReplicationBatch as _hektor_cluster_v1_ReplicationBatch, ReplicationBatch__Output as _hektor_cluster_v1_ReplicationBatch__Output } from '../../../hektor/cluster/v1/ReplicationBatch.js';
import type { ShardCallReply as _hektor_cluster_v1_ShardCallReply, ShardCallReply__Output as _hektor_cluster_v1_ShardCallReply__Output } from '../../../hektor/cluster/v1/ShardCallReply.js';
import type { ShardCallRequest as _hektor_cluster_v1_ShardCallRequest, ShardCallRequest__Output as _hektor_cluster_v1_ShardCallRequest__Output } from '../../../hektor/cluster/v1/ShardCallRequest.js';
import type { ShardSnapshotChunk as _hektor_cluster_v1_ShardSnapshotChunk, ShardSnapshotChunk__Output as _hektor_cluster_v1_ShardSnapshotChunk__Output } from '../../../hektor/cluster/v1/ShardSnapshotChunk.js';
import type { ShardSnapshotRequest as _hektor_cluster_v1_ShardSnapshotRequest, ShardSnapshotRequest__Output as _hektor_cluster_v1_ShardSnapshotRequest__Output } from '../../../hektor/cluster/v1/ShardSnapshotRequest.js';

/**
 * The metadata plane: Raft transport, health, membership and metadata access.
 */
export interface ClusterClient extends grpc.Client {
  /**
   * Liveness probe between nodes; measures round-trip time and carries the sender's view.
   */
  Heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  /**
   * Liveness probe between nodes; measures round-trip time and carries the sender's view.
   */
  heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _hektor_cluster_v1_HeartbeatRequest, callback: grpc.requestCallback<_hektor_cluster_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * A new node asks the leader to add it (as a learner first, a voter once caught up).
   */
  Join(argument: _hektor_cluster_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  Join(argument: _hektor_cluster_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  Join(argument: _hektor_cluster_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  Join(argument: _hektor_cluster_v1_JoinRequest, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  /**
   * A new node asks the leader to add it (as a learner first, a voter once caught up).
   */
  join(argument: _hektor_cluster_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  join(argument: _hektor_cluster_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  join(argument: _hektor_cluster_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  join(argument: _hektor_cluster_v1_JoinRequest, callback: grpc.requestCallback<_hektor_cluster_v1_JoinReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Asks the leader to remove a node from the cluster.
   */
  Leave(argument: _hektor_cluster_v1_LeaveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  Leave(argument: _hektor_cluster_v1_LeaveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  Leave(argument: _hektor_cluster_v1_LeaveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  Leave(argument: _hektor_cluster_v1_LeaveRequest, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  /**
   * Asks the leader to remove a node from the cluster.
   */
  leave(argument: _hektor_cluster_v1_LeaveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  leave(argument: _hektor_cluster_v1_LeaveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  leave(argument: _hektor_cluster_v1_LeaveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  leave(argument: _hektor_cluster_v1_LeaveRequest, callback: grpc.requestCallback<_hektor_cluster_v1_LeaveReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Forwards a metadata command to the leader, which proposes it through Raft.
   */
  Propose(argument: _hektor_cluster_v1_ProposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  Propose(argument: _hektor_cluster_v1_ProposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  Propose(argument: _hektor_cluster_v1_ProposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  Propose(argument: _hektor_cluster_v1_ProposeRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  /**
   * Forwards a metadata command to the leader, which proposes it through Raft.
   */
  propose(argument: _hektor_cluster_v1_ProposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  propose(argument: _hektor_cluster_v1_ProposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  propose(argument: _hektor_cluster_v1_ProposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  propose(argument: _hektor_cluster_v1_ProposeRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ProposeReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reads the metadata state; with linearizable set, after a ReadIndex round on the leader.
   */
  ReadMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  ReadMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  ReadMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  ReadMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  /**
   * Reads the metadata state; with linearizable set, after a ReadIndex round on the leader.
   */
  readMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  readMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  readMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  readMetadata(argument: _hektor_cluster_v1_ReadMetadataRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ReadMetadataReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Questions about a local replica: its durable log position (the controller asks before a
   * promotion), its lag figures, its truncated entries.
   */
  ReplicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  ReplicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  ReplicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  ReplicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  /**
   * Questions about a local replica: its durable log position (the controller asks before a
   * promotion), its lag figures, its truncated entries.
   */
  replicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  replicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  replicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  replicaCall(argument: _hektor_cluster_v1_ReplicaCallRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicaCallReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * The data plane of replicated shards (docs/replication.md). They share this service, and so
   * each peer's one channel and the server's mTLS checks, with the metadata plane.
   * 
   * Carries replication messages (appends, snapshot notices, acks, rejects) from one node to
   * another: one long-lived stream per pair of nodes and direction, so messages arrive in order
   * and cost no per-call setup. The protocol itself retransmits what a broken stream loses,
   * pipelines within bounds and fences stale epochs.
   */
  Replicate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  Replicate(metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  Replicate(options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  Replicate(callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  /**
   * The data plane of replicated shards (docs/replication.md). They share this service, and so
   * each peer's one channel and the server's mTLS checks, with the metadata plane.
   * 
   * Carries replication messages (appends, snapshot notices, acks, rejects) from one node to
   * another: one long-lived stream per pair of nodes and direction, so messages arrive in order
   * and cost no per-call setup. The protocol itself retransmits what a broken stream loses,
   * pipelines within bounds and fences stale epochs.
   */
  replicate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  replicate(metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  replicate(options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  replicate(callback: grpc.requestCallback<_hektor_cluster_v1_ReplicationAck__Output>): grpc.ClientWritableStream<_hektor_cluster_v1_ReplicationBatch>;
  
  /**
   * Delivers a batch of Raft messages from one node to another (fire-and-forget semantics: the
   * reply only says the batch was accepted for stepping).
   */
  SendRaft(argument: _hektor_cluster_v1_RaftBatch, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  SendRaft(argument: _hektor_cluster_v1_RaftBatch, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  SendRaft(argument: _hektor_cluster_v1_RaftBatch, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  SendRaft(argument: _hektor_cluster_v1_RaftBatch, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  /**
   * Delivers a batch of Raft messages from one node to another (fire-and-forget semantics: the
   * reply only says the batch was accepted for stepping).
   */
  sendRaft(argument: _hektor_cluster_v1_RaftBatch, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  sendRaft(argument: _hektor_cluster_v1_RaftBatch, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  sendRaft(argument: _hektor_cluster_v1_RaftBatch, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  sendRaft(argument: _hektor_cluster_v1_RaftBatch, callback: grpc.requestCallback<_hektor_cluster_v1_RaftAck__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs a point operation on shards this node holds (the coordinator of a request routes each
   * shard's part to the node that holds it).
   */
  ShardCall(argument: _hektor_cluster_v1_ShardCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  ShardCall(argument: _hektor_cluster_v1_ShardCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  ShardCall(argument: _hektor_cluster_v1_ShardCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  ShardCall(argument: _hektor_cluster_v1_ShardCallRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  /**
   * Runs a point operation on shards this node holds (the coordinator of a request routes each
   * shard's part to the node that holds it).
   */
  shardCall(argument: _hektor_cluster_v1_ShardCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  shardCall(argument: _hektor_cluster_v1_ShardCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  shardCall(argument: _hektor_cluster_v1_ShardCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  shardCall(argument: _hektor_cluster_v1_ShardCallRequest, callback: grpc.requestCallback<_hektor_cluster_v1_ShardCallReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams every point of a shard from its primary to a follower catching up by snapshot.
   */
  ShardSnapshot(argument: _hektor_cluster_v1_ShardSnapshotRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_hektor_cluster_v1_ShardSnapshotChunk__Output>;
  ShardSnapshot(argument: _hektor_cluster_v1_ShardSnapshotRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_hektor_cluster_v1_ShardSnapshotChunk__Output>;
  /**
   * Streams every point of a shard from its primary to a follower catching up by snapshot.
   */
  shardSnapshot(argument: _hektor_cluster_v1_ShardSnapshotRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_hektor_cluster_v1_ShardSnapshotChunk__Output>;
  shardSnapshot(argument: _hektor_cluster_v1_ShardSnapshotRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_hektor_cluster_v1_ShardSnapshotChunk__Output>;
  
}

/**
 * The metadata plane: Raft transport, health, membership and metadata access.
 */
export interface ClusterHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Liveness probe between nodes; measures round-trip time and carries the sender's view.
   */
  Heartbeat: grpc.handleUnaryCall<_hektor_cluster_v1_HeartbeatRequest__Output, _hektor_cluster_v1_HeartbeatReply>;
  
  /**
   * A new node asks the leader to add it (as a learner first, a voter once caught up).
   */
  Join: grpc.handleUnaryCall<_hektor_cluster_v1_JoinRequest__Output, _hektor_cluster_v1_JoinReply>;
  
  /**
   * Asks the leader to remove a node from the cluster.
   */
  Leave: grpc.handleUnaryCall<_hektor_cluster_v1_LeaveRequest__Output, _hektor_cluster_v1_LeaveReply>;
  
  /**
   * Forwards a metadata command to the leader, which proposes it through Raft.
   */
  Propose: grpc.handleUnaryCall<_hektor_cluster_v1_ProposeRequest__Output, _hektor_cluster_v1_ProposeReply>;
  
  /**
   * Reads the metadata state; with linearizable set, after a ReadIndex round on the leader.
   */
  ReadMetadata: grpc.handleUnaryCall<_hektor_cluster_v1_ReadMetadataRequest__Output, _hektor_cluster_v1_ReadMetadataReply>;
  
  /**
   * Questions about a local replica: its durable log position (the controller asks before a
   * promotion), its lag figures, its truncated entries.
   */
  ReplicaCall: grpc.handleUnaryCall<_hektor_cluster_v1_ReplicaCallRequest__Output, _hektor_cluster_v1_ReplicaCallReply>;
  
  /**
   * The data plane of replicated shards (docs/replication.md). They share this service, and so
   * each peer's one channel and the server's mTLS checks, with the metadata plane.
   * 
   * Carries replication messages (appends, snapshot notices, acks, rejects) from one node to
   * another: one long-lived stream per pair of nodes and direction, so messages arrive in order
   * and cost no per-call setup. The protocol itself retransmits what a broken stream loses,
   * pipelines within bounds and fences stale epochs.
   */
  Replicate: grpc.handleClientStreamingCall<_hektor_cluster_v1_ReplicationBatch__Output, _hektor_cluster_v1_ReplicationAck>;
  
  /**
   * Delivers a batch of Raft messages from one node to another (fire-and-forget semantics: the
   * reply only says the batch was accepted for stepping).
   */
  SendRaft: grpc.handleUnaryCall<_hektor_cluster_v1_RaftBatch__Output, _hektor_cluster_v1_RaftAck>;
  
  /**
   * Runs a point operation on shards this node holds (the coordinator of a request routes each
   * shard's part to the node that holds it).
   */
  ShardCall: grpc.handleUnaryCall<_hektor_cluster_v1_ShardCallRequest__Output, _hektor_cluster_v1_ShardCallReply>;
  
  /**
   * Streams every point of a shard from its primary to a follower catching up by snapshot.
   */
  ShardSnapshot: grpc.handleServerStreamingCall<_hektor_cluster_v1_ShardSnapshotRequest__Output, _hektor_cluster_v1_ShardSnapshotChunk>;
  
}

export interface ClusterDefinition extends grpc.ServiceDefinition {
  Heartbeat: MethodDefinition<_hektor_cluster_v1_HeartbeatRequest, _hektor_cluster_v1_HeartbeatReply, _hektor_cluster_v1_HeartbeatRequest__Output, _hektor_cluster_v1_HeartbeatReply__Output>
  Join: MethodDefinition<_hektor_cluster_v1_JoinRequest, _hektor_cluster_v1_JoinReply, _hektor_cluster_v1_JoinRequest__Output, _hektor_cluster_v1_JoinReply__Output>
  Leave: MethodDefinition<_hektor_cluster_v1_LeaveRequest, _hektor_cluster_v1_LeaveReply, _hektor_cluster_v1_LeaveRequest__Output, _hektor_cluster_v1_LeaveReply__Output>
  Propose: MethodDefinition<_hektor_cluster_v1_ProposeRequest, _hektor_cluster_v1_ProposeReply, _hektor_cluster_v1_ProposeRequest__Output, _hektor_cluster_v1_ProposeReply__Output>
  ReadMetadata: MethodDefinition<_hektor_cluster_v1_ReadMetadataRequest, _hektor_cluster_v1_ReadMetadataReply, _hektor_cluster_v1_ReadMetadataRequest__Output, _hektor_cluster_v1_ReadMetadataReply__Output>
  ReplicaCall: MethodDefinition<_hektor_cluster_v1_ReplicaCallRequest, _hektor_cluster_v1_ReplicaCallReply, _hektor_cluster_v1_ReplicaCallRequest__Output, _hektor_cluster_v1_ReplicaCallReply__Output>
  Replicate: MethodDefinition<_hektor_cluster_v1_ReplicationBatch, _hektor_cluster_v1_ReplicationAck, _hektor_cluster_v1_ReplicationBatch__Output, _hektor_cluster_v1_ReplicationAck__Output>
  SendRaft: MethodDefinition<_hektor_cluster_v1_RaftBatch, _hektor_cluster_v1_RaftAck, _hektor_cluster_v1_RaftBatch__Output, _hektor_cluster_v1_RaftAck__Output>
  ShardCall: MethodDefinition<_hektor_cluster_v1_ShardCallRequest, _hektor_cluster_v1_ShardCallReply, _hektor_cluster_v1_ShardCallRequest__Output, _hektor_cluster_v1_ShardCallReply__Output>
  ShardSnapshot: MethodDefinition<_hektor_cluster_v1_ShardSnapshotRequest, _hektor_cluster_v1_ShardSnapshotChunk, _hektor_cluster_v1_ShardSnapshotRequest__Output, _hektor_cluster_v1_ShardSnapshotChunk__Output>
}
