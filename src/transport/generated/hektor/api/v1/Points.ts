// Original file: proto/hektor/api/v1/points.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CountReply as _hektor_api_v1_CountReply, CountReply__Output as _hektor_api_v1_CountReply__Output } from '../../../hektor/api/v1/CountReply.js';
import type { CountRequest as _hektor_api_v1_CountRequest, CountRequest__Output as _hektor_api_v1_CountRequest__Output } from '../../../hektor/api/v1/CountRequest.js';
import type { DeletePointsRequest as _hektor_api_v1_DeletePointsRequest, DeletePointsRequest__Output as _hektor_api_v1_DeletePointsRequest__Output } from '../../../hektor/api/v1/DeletePointsRequest.js';
import type { GetPointsReply as _hektor_api_v1_GetPointsReply, GetPointsReply__Output as _hektor_api_v1_GetPointsReply__Output } from '../../../hektor/api/v1/GetPointsReply.js';
import type { GetPointsRequest as _hektor_api_v1_GetPointsRequest, GetPointsRequest__Output as _hektor_api_v1_GetPointsRequest__Output } from '../../../hektor/api/v1/GetPointsRequest.js';
import type { ScrollReply as _hektor_api_v1_ScrollReply, ScrollReply__Output as _hektor_api_v1_ScrollReply__Output } from '../../../hektor/api/v1/ScrollReply.js';
import type { ScrollRequest as _hektor_api_v1_ScrollRequest, ScrollRequest__Output as _hektor_api_v1_ScrollRequest__Output } from '../../../hektor/api/v1/ScrollRequest.js';
import type { SearchReply as _hektor_api_v1_SearchReply, SearchReply__Output as _hektor_api_v1_SearchReply__Output } from '../../../hektor/api/v1/SearchReply.js';
import type { SearchRequest as _hektor_api_v1_SearchRequest, SearchRequest__Output as _hektor_api_v1_SearchRequest__Output } from '../../../hektor/api/v1/SearchRequest.js';
import type { UpdateReply as _hektor_api_v1_UpdateReply, UpdateReply__Output as _hektor_api_v1_UpdateReply__Output } from '../../../hektor/api/v1/UpdateReply.js';
import type { UpsertRequest as _hektor_api_v1_UpsertRequest, UpsertRequest__Output as _hektor_api_v1_UpsertRequest__Output } from '../../../hektor/api/v1/UpsertRequest.js';

export interface PointsClient extends grpc.Client {
  Count(argument: _hektor_api_v1_CountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  Count(argument: _hektor_api_v1_CountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  Count(argument: _hektor_api_v1_CountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  Count(argument: _hektor_api_v1_CountRequest, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  count(argument: _hektor_api_v1_CountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  count(argument: _hektor_api_v1_CountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  count(argument: _hektor_api_v1_CountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  count(argument: _hektor_api_v1_CountRequest, callback: grpc.requestCallback<_hektor_api_v1_CountReply__Output>): grpc.ClientUnaryCall;
  
  Delete(argument: _hektor_api_v1_DeletePointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  Delete(argument: _hektor_api_v1_DeletePointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  Delete(argument: _hektor_api_v1_DeletePointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  Delete(argument: _hektor_api_v1_DeletePointsRequest, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeletePointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeletePointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeletePointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  delete(argument: _hektor_api_v1_DeletePointsRequest, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  
  Get(argument: _hektor_api_v1_GetPointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  Get(argument: _hektor_api_v1_GetPointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  Get(argument: _hektor_api_v1_GetPointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  Get(argument: _hektor_api_v1_GetPointsRequest, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetPointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetPointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetPointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  get(argument: _hektor_api_v1_GetPointsRequest, callback: grpc.requestCallback<_hektor_api_v1_GetPointsReply__Output>): grpc.ClientUnaryCall;
  
  Scroll(argument: _hektor_api_v1_ScrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  Scroll(argument: _hektor_api_v1_ScrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  Scroll(argument: _hektor_api_v1_ScrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  Scroll(argument: _hektor_api_v1_ScrollRequest, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  scroll(argument: _hektor_api_v1_ScrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  scroll(argument: _hektor_api_v1_ScrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  scroll(argument: _hektor_api_v1_ScrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  scroll(argument: _hektor_api_v1_ScrollRequest, callback: grpc.requestCallback<_hektor_api_v1_ScrollReply__Output>): grpc.ClientUnaryCall;
  
  Search(argument: _hektor_api_v1_SearchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  Search(argument: _hektor_api_v1_SearchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  Search(argument: _hektor_api_v1_SearchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  Search(argument: _hektor_api_v1_SearchRequest, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  search(argument: _hektor_api_v1_SearchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  search(argument: _hektor_api_v1_SearchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  search(argument: _hektor_api_v1_SearchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  search(argument: _hektor_api_v1_SearchRequest, callback: grpc.requestCallback<_hektor_api_v1_SearchReply__Output>): grpc.ClientUnaryCall;
  
  Upsert(argument: _hektor_api_v1_UpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  Upsert(argument: _hektor_api_v1_UpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  Upsert(argument: _hektor_api_v1_UpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  Upsert(argument: _hektor_api_v1_UpsertRequest, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  upsert(argument: _hektor_api_v1_UpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  upsert(argument: _hektor_api_v1_UpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  upsert(argument: _hektor_api_v1_UpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  upsert(argument: _hektor_api_v1_UpsertRequest, callback: grpc.requestCallback<_hektor_api_v1_UpdateReply__Output>): grpc.ClientUnaryCall;
  
}

export interface PointsHandlers extends grpc.UntypedServiceImplementation {
  Count: grpc.handleUnaryCall<_hektor_api_v1_CountRequest__Output, _hektor_api_v1_CountReply>;
  
  Delete: grpc.handleUnaryCall<_hektor_api_v1_DeletePointsRequest__Output, _hektor_api_v1_UpdateReply>;
  
  Get: grpc.handleUnaryCall<_hektor_api_v1_GetPointsRequest__Output, _hektor_api_v1_GetPointsReply>;
  
  Scroll: grpc.handleUnaryCall<_hektor_api_v1_ScrollRequest__Output, _hektor_api_v1_ScrollReply>;
  
  Search: grpc.handleUnaryCall<_hektor_api_v1_SearchRequest__Output, _hektor_api_v1_SearchReply>;
  
  Upsert: grpc.handleUnaryCall<_hektor_api_v1_UpsertRequest__Output, _hektor_api_v1_UpdateReply>;
  
}

export interface PointsDefinition extends grpc.ServiceDefinition {
  Count: MethodDefinition<_hektor_api_v1_CountRequest, _hektor_api_v1_CountReply, _hektor_api_v1_CountRequest__Output, _hektor_api_v1_CountReply__Output>
  Delete: MethodDefinition<_hektor_api_v1_DeletePointsRequest, _hektor_api_v1_UpdateReply, _hektor_api_v1_DeletePointsRequest__Output, _hektor_api_v1_UpdateReply__Output>
  Get: MethodDefinition<_hektor_api_v1_GetPointsRequest, _hektor_api_v1_GetPointsReply, _hektor_api_v1_GetPointsRequest__Output, _hektor_api_v1_GetPointsReply__Output>
  Scroll: MethodDefinition<_hektor_api_v1_ScrollRequest, _hektor_api_v1_ScrollReply, _hektor_api_v1_ScrollRequest__Output, _hektor_api_v1_ScrollReply__Output>
  Search: MethodDefinition<_hektor_api_v1_SearchRequest, _hektor_api_v1_SearchReply, _hektor_api_v1_SearchRequest__Output, _hektor_api_v1_SearchReply__Output>
  Upsert: MethodDefinition<_hektor_api_v1_UpsertRequest, _hektor_api_v1_UpdateReply, _hektor_api_v1_UpsertRequest__Output, _hektor_api_v1_UpdateReply__Output>
}
