// Original file: proto/hektor/api/v1/points.proto


export interface SearchRequest {
  'collection'?: (string);
  'vector'?: (number | string)[];
  'limit'?: (number);
  'offset'?: (number);
  'filter_json'?: (string);
  'hnsw_ef'?: (number);
  'exact'?: (boolean);
  'with_payload'?: (boolean);
  'with_vector'?: (boolean);
  'score_threshold'?: (number | string);
  '_score_threshold'?: "score_threshold";
}

export interface SearchRequest__Output {
  'collection': (string);
  'vector': (number)[];
  'limit': (number);
  'offset': (number);
  'filter_json': (string);
  'hnsw_ef': (number);
  'exact': (boolean);
  'with_payload': (boolean);
  'with_vector': (boolean);
  'score_threshold'?: (number);
  '_score_threshold'?: "score_threshold";
}
