// Original file: proto/hektor/api/v1/points.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CollectionInfo as _hektor_api_v1_CollectionInfo, CollectionInfo__Output as _hektor_api_v1_CollectionInfo__Output } from '../../../hektor/api/v1/CollectionInfo.js';
import type { CreateCollectionReply as _hektor_api_v1_CreateCollectionReply, CreateCollectionReply__Output as _hektor_api_v1_CreateCollectionReply__Output } from '../../../hektor/api/v1/CreateCollectionReply.js';
import type { CreateCollectionRequest as _hektor_api_v1_CreateCollectionRequest, CreateCollectionRequest__Output as _hektor_api_v1_CreateCollectionRequest__Output } from '../../../hektor/api/v1/CreateCollectionRequest.js';
import type { DeleteCollectionReply as _hektor_api_v1_DeleteCollectionReply, DeleteCollectionReply__Output as _hektor_api_v1_DeleteCollectionReply__Output } from '../../../hektor/api/v1/DeleteCollectionReply.js';
import type { DeleteCollectionRequest as _hektor_api_v1_DeleteCollectionRequest, DeleteCollectionRequest__Output as _hektor_api_v1_DeleteCollectionRequest__Output } from '../../../hektor/api/v1/DeleteCollectionRequest.js';
import type { GetCollectionRequest as _hektor_api_v1_GetCollectionRequest, GetCollectionRequest__Output as _hektor_api_v1_GetCollectionRequest__Output } from '../../../hektor/api/v1/GetCollectionRequest.js';
import type { ListCollectionsReply as _hektor_api_v1_ListCollectionsReply, ListCollectionsReply__Output as _hektor_api_v1_ListCollectionsReply__Output } from '../../../hektor/api/v1/ListCollectionsReply.js';
import type { ListCollectionsRequest as _hektor_api_v1_ListCollectionsRequest, ListCollectionsRequest__Output as _hektor_api_v1_ListCollectionsRequest__Output } from '../../../hektor/api/v1/ListCollectionsRequest.js';

export interface CollectionsClient extends grpc.Client {
  Create(argument: _hektor_api_v1_CreateCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  Create(argument: _hektor_api_v1_CreateCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  Create(argument: _hektor_api_v1_CreateCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  Create(argument: _hektor_api_v1_CreateCollectionRequest, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  create(argument: _hektor_api_v1_CreateCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  create(argument: _hektor_api_v1_CreateCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  create(argument: _hektor_api_v1_CreateCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  create(argument: _hektor_api_v1_CreateCollectionRequest, callback: grpc.requestCallback<_hektor_api_v1_CreateCollectionReply__Output>): grpc.ClientUnaryCall;
  
  Delete(argument: _hektor_api_v1_DeleteCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  Delete(argument: _hektor_api_v1_DeleteCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  Delete(argument: _hektor_api_v1_DeleteCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  Delete(argument: _hektor_api_v1_DeleteCollectionRequest, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeleteCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeleteCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeleteCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeleteCollectionRequest, callback: grpc.requestCallback<_hektor_api_v1_DeleteCollectionReply__Output>): grpc.ClientUnaryCall;
  
  Get(argument: _hektor_api_v1_GetCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  Get(argument: _hektor_api_v1_GetCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  Get(argument: _hektor_api_v1_GetCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  Get(argument: _hektor_api_v1_GetCollectionRequest, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetCollectionRequest, callback: grpc.requestCallback<_hektor_api_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  
  List(argument: _hektor_api_v1_ListCollectionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  List(argument: _hektor_api_v1_ListCollectionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  List(argument: _hektor_api_v1_ListCollectionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  List(argument: _hektor_api_v1_ListCollectionsRequest, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  list(argument: _hektor_api_v1_ListCollectionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  list(argument: _hektor_api_v1_ListCollectionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  list(argument: _hektor_api_v1_ListCollectionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  list(argument: _hektor_api_v1_ListCollectionsRequest, callback: grpc.requestCallback<_hektor_api_v1_ListCollectionsReply__Output>): grpc.ClientUnaryCall;
  
}

export interface CollectionsHandlers extends grpc.UntypedServiceImplementation {
  Create: grpc.handleUnaryCall<_hektor_api_v1_CreateCollectionRequest__Output, _hektor_api_v1_CreateCollectionReply>;
  
  Delete: grpc.handleUnaryCall<_hektor_api_v1_DeleteCollectionRequest__Output, _hektor_api_v1_DeleteCollectionReply>;
  
  Get: grpc.handleUnaryCall<_hektor_api_v1_GetCollectionRequest__Output, _hektor_api_v1_CollectionInfo>;
  
  List: grpc.handleUnaryCall<_hektor_api_v1_ListCollectionsRequest__Output, _hektor_api_v1_ListCollectionsReply>;
  
}

export interface CollectionsDefinition extends grpc.ServiceDefinition {
  Create: MethodDefinition<_hektor_api_v1_CreateCollectionRequest, _hektor_api_v1_CreateCollectionReply, _hektor_api_v1_CreateCollectionRequest__Output, _hektor_api_v1_CreateCollectionReply__Output>
  Delete: MethodDefinition<_hektor_api_v1_DeleteCollectionRequest, _hektor_api_v1_DeleteCollectionReply, _hektor_api_v1_DeleteCollectionRequest__Output, _hektor_api_v1_DeleteCollectionReply__Output>
  Get: MethodDefinition<_hektor_api_v1_GetCollectionRequest, _hektor_api_v1_CollectionInfo, _hektor_api_v1_GetCollectionRequest__Output, _hektor_api_v1_CollectionInfo__Output>
  List: MethodDefinition<_hektor_api_v1_ListCollectionsRequest, _hektor_api_v1_ListCollectionsReply, _hektor_api_v1_ListCollectionsRequest__Output, _hektor_api_v1_ListCollectionsReply__Output>
}
