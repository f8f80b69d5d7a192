import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClusterClient as _hektor_cluster_v1_ClusterClient, ClusterDefinition as _hektor_cluster_v1_ClusterDefinition } from './hektor/cluster/v1/Cluster.js';
import type { HeartbeatReply as _hektor_cluster_v1_HeartbeatReply, HeartbeatReply__Output as _hektor_cluster_v1_HeartbeatReply__Output } from './hektor/cluster/v1/HeartbeatReply.js';
import type { HeartbeatRequest as _hektor_cluster_v1_HeartbeatRequest, HeartbeatRequest__Output as _hektor_cluster_v1_HeartbeatRequest__Output } from './hektor/cluster/v1/HeartbeatRequest.js';
import type { JoinReply as _hektor_cluster_v1_JoinReply, JoinReply__Output as _hektor_cluster_v1_JoinReply__Output } from './hektor/cluster/v1/JoinReply.js';
import type { JoinRequest as _hektor_cluster_v1_JoinRequest, JoinRequest__Output as _hektor_cluster_v1_JoinRequest__Output } from './hektor/cluster/v1/JoinRequest.js';
import type { LeaveReply as _hektor_cluster_v1_LeaveReply, LeaveReply__Output as _hektor_cluster_v1_LeaveReply__Output } from './hektor/cluster/v1/LeaveReply.js';
import type { LeaveRequest as _hektor_cluster_v1_LeaveRequest, LeaveRequest__Output as _hektor_cluster_v1_LeaveRequest__Output } from './hektor/cluster/v1/LeaveRequest.js';
import type { ProposeReply as _hektor_cluster_v1_ProposeReply, ProposeReply__Output as _hektor_cluster_v1_ProposeReply__Output } from './hektor/cluster/v1/ProposeReply.js';
import type { ProposeRequest as _hektor_cluster_v1_ProposeRequest, ProposeRequest__Output as _hektor_cluster_v1_ProposeRequest__Output } from './hektor/cluster/v1/ProposeRequest.js';
import type { RaftAck as _hektor_cluster_v1_RaftAck, RaftAck__Output as _hektor_cluster_v1_RaftAck__Output } from './hektor/cluster/v1/RaftAck.js';
import type { RaftBatch as _hektor_cluster_v1_RaftBatch, RaftBatch__Output as _hektor_cluster_v1_RaftBatch__Output } from './hektor/cluster/v1/RaftBatch.js';
import type { ReadMetadataReply as _hektor_cluster_v1_ReadMetadataReply, ReadMetadataReply__Output as _hektor_cluster_v1_ReadMetadataReply__Output } from './hektor/cluster/v1/ReadMetadataReply.js';
import type { ReadMetadataRequest as _hektor_cluster_v1_ReadMetadataRequest, ReadMetadataRequest__Output as _hektor_cluster_v1_ReadMetadataRequest__Output } from './hektor/cluster/v1/ReadMetadataRequest.js';
import type { ReplicaCallReply as _hektor_cluster_v1_ReplicaCallReply, ReplicaCallReply__Output as _hektor_cluster_v1_ReplicaCallReply__Output } from './hektor/cluster/v1/ReplicaCallReply.js';
import type { ReplicaCallRequest as _hektor_cluster_v1_ReplicaCallRequest, ReplicaCallRequest__Output as _hektor_cluster_v1_ReplicaCallRequest__Output } from './hektor/cluster/v1/ReplicaCallRequest.js';
import type { ReplicationAck as _hektor_cluster_v1_ReplicationAck, ReplicationAck__Output as _hektor_cluster_v1_ReplicationAck__Output } from './hektor/cluster/v1/ReplicationAck.js';
import type { ReplicationBatch as _hektor_cluster_v1_ReplicationBatch, ReplicationBatch__Output as _hektor_cluster_v1_ReplicationBatch__Output } from './hektor/cluster/v1/ReplicationBatch.js';
import type { ShardCallReply as _hektor_cluster_v1_ShardCallReply, ShardCallReply__Output as _hektor_cluster_v1_ShardCallReply__Output } from './hektor/cluster/v1/ShardCallReply.js';
import type { ShardCallRequest as _hektor_cluster_v1_ShardCallRequest, ShardCallRequest__Output as _hektor_cluster_v1_ShardCallRequest__Output } from './hektor/cluster/v1/ShardCallRequest.js';
import type { ShardSnapshotChunk as _hektor_cluster_v1_ShardSnapshotChunk, ShardSnapshotChunk__Output as _hektor_cluster_v1_ShardSnapshotChunk__Output } from './hektor/cluster/v1/ShardSnapshotChunk.js';
import type { ShardSnapshotRequest as _hektor_cluster_v1_ShardSnapshotRequest, ShardSnapshotRequest__Output as _hektor_cluster_v1_ShardSnapshotRequest__Output } from './hektor/cluster/v1/ShardSnapshotRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  hektor: {
    cluster: {
      v1: {
        /**
         * The metadata plane: Raft transport, health, membership and metadata access.
         */
        Cluster: SubtypeConstructor<typeof grpc.Client, _hektor_cluster_v1_ClusterClient> & { service: _hektor_cluster_v1_ClusterDefinition }
        HeartbeatReply: MessageTypeDefinition<_hektor_cluster_v1_HeartbeatReply, _hektor_cluster_v1_HeartbeatReply__Output>
        HeartbeatRequest: MessageTypeDefinition<_hektor_cluster_v1_HeartbeatRequest, _hektor_cluster_v1_HeartbeatRequest__Output>
        JoinReply: MessageTypeDefinition<_hektor_cluster_v1_JoinReply, _hektor_cluster_v1_JoinReply__Output>
        JoinRequest: MessageTypeDefinition<_hektor_cluster_v1_JoinRequest, _hektor_cluster_v1_JoinRequest__Output>
        LeaveReply: MessageTypeDefinition<_hektor_cluster_v1_LeaveReply, _hektor_cluster_v1_LeaveReply__Output>
        LeaveRequest: MessageTypeDefinition<_hektor_cluster_v1_LeaveRequest, _hektor_cluster_v1_LeaveRequest__Output>
        ProposeReply: MessageTypeDefinition<_hektor_cluster_v1_ProposeReply, _hektor_cluster_v1_ProposeReply__Output>
        ProposeRequest: MessageTypeDefinition<_hektor_cluster_v1_ProposeRequest, _hektor_cluster_v1_ProposeRequest__Output>
        RaftAck: MessageTypeDefinition<_hektor_cluster_v1_RaftAck, _hektor_cluster_v1_RaftAck__Output>
        RaftBatch: MessageTypeDefinition<_hektor_cluster_v1_RaftBatch, _hektor_cluster_v1_RaftBatch__Output>
        ReadMetadataReply: MessageTypeDefinition<_hektor_cluster_v1_ReadMetadataReply, _hektor_cluster_v1_ReadMetadataReply__Output>
        ReadMetadataRequest: MessageTypeDefinition<_hektor_cluster_v1_ReadMetadataRequest, _hektor_cluster_v1_ReadMetadataRequest__Output>
        ReplicaCallReply: MessageTypeDefinition<_hektor_cluster_v1_ReplicaCallReply, _hektor_cluster_v1_ReplicaCallReply__Output>
        ReplicaCallRequest: MessageTypeDefinition<_hektor_cluster_v1_ReplicaCallRequest, _hektor_cluster_v1_ReplicaCallRequest__Output>
        ReplicationAck: MessageTypeDefinition<_hektor_cluster_v1_ReplicationAck, _hektor_cluster_v1_ReplicationAck__Output>
        ReplicationBatch: MessageTypeDefinition<_hektor_cluster_v1_ReplicationBatch, _hektor_cluster_v1_ReplicationBatch__Output>
        ShardCallReply: MessageTypeDefinition<_hektor_cluster_v1_ShardCallReply, _hektor_cluster_v1_ShardCallReply__Output>
        ShardCallRequest: MessageTypeDefinition<_hektor_cluster_v1_ShardCallRequest, _hektor_cluster_v1_ShardCallRequest__Output>
        ShardSnapshotChunk: MessageTypeDefinition<_hektor_cluster_v1_ShardSnapshotChunk, _hektor_cluster_v1_ShardSnapshotChunk__Output>
        ShardSnapshotRequest: MessageTypeDefinition<_hektor_cluster_v1_ShardSnapshotRequest, _hektor_cluster_v1_ShardSnapshotRequest__Output>
      }
    }
  }
}

