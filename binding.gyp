{
  "variables": {
    "hektor_march%": "native"
  },
  "targets": [
    {
      "target_name": "hektor_hnsw",
      "sources": ["native/hnsw_graph.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"require('path').join(require('path').dirname(require.resolve('hnswlib-node')), '..', 'src')\")"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-march=<(hektor_march)", "-ffp-contract=off"]
    },
    {
      "target_name": "hektor_json",
      "sources": ["native/json_floats.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-march=<(hektor_march)"]
    }
  ]
}
