import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CollectionInfo as _hektor_api_v1_CollectionInfo, CollectionInfo__Output as _hektor_api_v1_CollectionInfo__Output } from './hektor/api/v1/CollectionInfo.js';
import type { CollectionsClient as _hektor_api_v1_CollectionsClient, CollectionsDefinition as _hektor_api_v1_CollectionsDefinition } from './hektor/api/v1/Collections.js';
import type { CountReply as _hektor_api_v1_CountReply, CountReply__Output as _hektor_api_v1_CountReply__Output } from './hektor/api/v1/CountReply.js';
import type { CountRequest as _hektor_api_v1_CountRequest, CountRequest__Output as _hektor_api_v1_CountRequest__Output } from './hektor/api/v1/CountRequest.js';
import type { CreateCollectionReply as _hektor_api_v1_CreateCollectionReply, CreateCollectionReply__Output as _hektor_api_v1_CreateCollectionReply__Output } from './hektor/api/v1/CreateCollectionReply.js';
import type { CreateCollectionRequest as _hektor_api_v1_CreateCollectionRequest, CreateCollectionRequest__Output as _hektor_api_v1_CreateCollectionRequest__Output } from './hektor/api/v1/CreateCollectionRequest.js';
import type { DeleteCollectionReply as _hektor_api_v1_DeleteCollectionReply, DeleteCollectionReply__Output as _hektor_api_v1_DeleteCollectionReply__Output } from './hektor/api/v1/DeleteCollectionReply.js';
import type { DeleteCollectionRequest as _hektor_api_v1_DeleteCollectionRequest, DeleteCollectionRequest__Output as _hektor_api_v1_DeleteCollectionRequest__Output } from './hektor/api/v1/DeleteCollectionRequest.js';
import type { DeletePointsRequest as _hektor_api_v1_DeletePointsRequest, DeletePointsRequest__Output as _hektor_api_v1_DeletePointsRequest__Output } from './hektor/api/v1/DeletePointsRequest.js';
import type { GetCollectionRequest as _hektor_api_v1_GetCollectionRequest, GetCollectionRequest__Output as _hektor_api_v1_GetCollectionRequest__Output } from './hektor/api/v1/GetCollectionRequest.js';
import type { GetPointsReply as _hektor_api_v1_GetPointsReply, GetPointsReply__Output as _hektor_api_v1_GetPointsReply__Output } from './hektor/api/v1/GetPointsReply.js';
import type { GetPointsRequest as _hektor_api_v1_GetPointsRequest, GetPointsRequest__Output as _hektor_api_v1_GetPointsRequest__Output } from './hektor/api/v1/GetPointsRequest.js';
import type { ListCollectionsReply as _hektor_api_v1_ListCollectionsReply, ListCollectionsReply__Output as _hektor_api_v1_ListCollectionsReply__Output } from './hektor/api/v1/ListCollectionsReply.js';
import type { ListCollectionsRequest as _hektor_api_v1_ListCollectionsRequest, ListCollectionsRequest__Output as _hektor_api_v1_ListCollectionsRequest__Output } from './hektor/api/v1/ListCollectionsRequest.js';
import type { Point as _hektor_api_v1_Point, Point__Output as _hektor_api_v1_Point__Output } from './hektor/api/v1/Point.js';
import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from './hektor/api/v1/PointId.js';
import type { PointsClient as _hektor_api_v1_PointsClient, PointsDefinition as _hektor_api_v1_PointsDefinition } from './hektor/api/v1/Points.js';
import type { ScoredPoint as _hektor_api_v1_ScoredPoint, ScoredPoint__Output as _hektor_api_v1_ScoredPoint__Output } from './hektor/api/v1/ScoredPoint.js';
import type { ScrollReply as _hektor_api_v1_ScrollReply, ScrollReply__Output as _hektor_api_v1_ScrollReply__Output } from './hektor/api/v1/ScrollReply.js';
import type { ScrollRequest as _hektor_api_v1_ScrollRequest, ScrollRequest__Output as _hektor_api_v1_ScrollRequest__Output } from './hektor/api/v1/ScrollRequest.js';
import type { SearchReply as _hektor_api_v1_SearchReply, SearchReply__Output as _hektor_api_v1_SearchReply__Output } from './hektor/api/v1/SearchReply.js';
import type { SearchRequest as _hektor_api_v1_SearchRequest, SearchRequest__Output as _hektor_api_v1_SearchRequest__Output } from './hektor/api/v1/SearchRequest.js';
import type { UpdateReply as _hektor_api_v1_UpdateReply, UpdateReply__Output as _hektor_api_v1_UpdateReply__Output } from './hektor/api/v1/UpdateReply.js';
import type { UpsertRequest as _hektor_api_v1_UpsertRequest, UpsertRequest__Output as _hektor_api_v1_UpsertRequest__Output } from './hektor/api/v1/UpsertRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  hektor: {
    api: {
      v1: {
        CollectionInfo: MessageTypeDefinition<_hektor_api_v1_CollectionInfo, _hektor_api_v1_CollectionInfo__Output>
        Collections: SubtypeConstructor<typeof grpc.Client, _hektor_api_v1_CollectionsClient> & { service: _hektor_api_v1_CollectionsDefinition }
        CountReply: MessageTypeDefinition<_hektor_api_v1_CountReply, _hektor_api_v1_CountReply__Output>
        CountRequest: MessageTypeDefinition<_hektor_api_v1_CountRequest, _hektor_api_v1_CountRequest__Output>
        CreateCollectionReply: MessageTypeDefinition<_hektor_api_v1_CreateCollectionReply, _hektor_api_v1_CreateCollectionReply__Output>
        CreateCollectionRequest: MessageTypeDefinition<_hektor_api_v1_CreateCollectionRequest, _hektor_api_v1_CreateCollectionRequest__Output>
        DeleteCollectionReply: MessageTypeDefinition<_hektor_api_v1_DeleteCollectionReply, _hektor_api_v1_DeleteCollectionReply__Output>
        DeleteCollectionRequest: MessageTypeDefinition<_hektor_api_v1_DeleteCollectionRequest, _hektor_api_v1_DeleteCollectionRequest__Output>
        DeletePointsRequest: MessageTypeDefinition<_hektor_api_v1_DeletePointsRequest, _hektor_api_v1_DeletePointsRequest__Output>
        GetCollectionRequest: MessageTypeDefinition<_hektor_api_v1_GetCollectionRequest, _hektor_api_v1_GetCollectionRequest__Output>
        GetPointsReply: MessageTypeDefinition<_hektor_api_v1_GetPointsReply, _hektor_api_v1_GetPointsReply__Output>
        GetPointsRequest: MessageTypeDefinition<_hektor_api_v1_GetPointsRequest, _hektor_api_v1_GetPointsRequest__Output>
        ListCollectionsReply: MessageTypeDefinition<_hektor_api_v1_ListCollectionsReply, _hektor_api_v1_ListCollectionsReply__Output>
        ListCollectionsRequest: MessageTypeDefinition<_hektor_api_v1_ListCollectionsRequest, _hektor_api_v1_ListCollectionsRequest__Output>
        Point: MessageTypeDefinition<_hektor_api_v1_Point, _hektor_api_v1_Point__Output>
        PointId: MessageTypeDefinition<_hektor_api_v1_PointId, _hektor_api_v1_PointId__Output>
        Points: SubtypeConstructor<typeof grpc.Client, _hektor_api_v1_PointsClient> & { service: _hektor_api_v1_PointsDefinition }
        ScoredPoint: MessageTypeDefinition<_hektor_api_v1_ScoredPoint, _hektor_api_v1_ScoredPoint__Output>
        ScrollReply: MessageTypeDefinition<_hektor_api_v1_ScrollReply, _hektor_api_v1_ScrollReply__Output>
        ScrollRequest: MessageTypeDefinition<_hektor_api_v1_ScrollRequest, _hektor_api_v1_ScrollRequest__Output>
        SearchReply: MessageTypeDefinition<_hektor_api_v1_SearchReply, _hektor_api_v1_SearchReply__Output>
        SearchRequest: MessageTypeDefinition<_hektor_api_v1_SearchRequest, _hektor_api_v1_SearchRequest__Output>
        UpdateReply: MessageTypeDefinition<_hektor_api_v1_UpdateReply, _hektor_api_v1_UpdateReply__Output>
        UpsertRequest: MessageTypeDefinition<_hektor_api_v1_UpsertRequest, _hektor_api_v1_UpsertRequest__Output>
      }
    }
  }
}

