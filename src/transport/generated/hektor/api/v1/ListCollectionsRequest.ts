// Original file: proto/hektor/api/v1/points.proto


export interface ListCollectionsRequest {
}

export interface ListCollectionsRequest__Output {
}
