// Original file: proto/hektor/cluster/v1/cluster.proto


export interface RaftAck {
}

export interface RaftAck__Output {
}
