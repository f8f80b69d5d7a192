// Hektor's binding of hnswlib's HNSW graph (the header-only C++ library that hnswlib-node ships).
//
// Why a binding of our own: hnswlib-node searches only synchronously, on the JavaScript thread,
// takes vectors as plain JS arrays read element by element, and calls back into JavaScript for
// every node a filtered walk visits. This binding
//   * searches asynchronously on libuv's thread pool, so that a node's second core walks the graph
//     while the JavaScript thread parses and answers HTTP;
//   * takes Float32Array vectors without conversion;
//   * filters with a bitset of allowed labels tested in C++, or (synchronous searches only) with a
//     JavaScript predicate;
//   * takes the beam width per search instead of from a shared field, so that concurrent searches
//     may use different ef values.
//
// Threads: every mutation (add, remove, resize, load) runs on the JavaScript thread; searches run
// on the JavaScript thread or on pool threads. A writer-preferring readers/writer lock keeps
// mutations apart from searches: hnswlib allows concurrent searches, and concurrent searches with
// markDelete, but neither addPoint nor resizeIndex concurrently with a search. Writers are
// preferred so that a steady stream of searches cannot starve ingest.

#include <napi.h>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hnswlib/hnswlib.h"

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;

// A readers/writer lock in which a waiting writer blocks new readers.
class RwGate {
 public:
  void LockShared() {
    std::unique_lock<std::mutex> lock(mutex_);
    readable_.wait(lock, [this] { return !writing_ && writers_waiting_ == 0; });
    readers_++;
  }
  void UnlockShared() {
    std::unique_lock<std::mutex> lock(mutex_);
    readers_--;
    if (readers_ == 0) writable_.notify_one();
  }
  void Lock() {
    std::unique_lock<std::mutex> lock(mutex_);
    writers_waiting_++;
    writable_.wait(lock, [this] { return !writing_ && readers_ == 0; });
    writers_waiting_--;
    writing_ = true;
  }
  void Unlock() {
    std::unique_lock<std::mutex> lock(mutex_);
    writing_ = false;
    writable_.notify_one();
    readable_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable readable_;
  std::condition_variable writable_;
  size_t readers_ = 0;
  size_t writers_waiting_ = 0;
  bool writing_ = false;
};

class SharedHold {
 public:
  explicit SharedHold(RwGate& gate) : gate_(gate) { gate_.LockShared(); }
  ~SharedHold() { gate_.UnlockShared(); }
  SharedHold(const SharedHold&) = delete;
  SharedHold& operator=(const SharedHold&) = delete;

 private:
  RwGate& gate_;
};

class ExclusiveHold {
 public:
  explicit ExclusiveHold(RwGate& gate) : gate_(gate) { gate_.Lock(); }
  ~ExclusiveHold() { gate_.Unlock(); }
  ExclusiveHold(const ExclusiveHold&) = delete;
  ExclusiveHold& operator=(const ExclusiveHold&) = delete;

 private:
  RwGate& gate_;
};

// Allows the labels whose bit is set in a little-endian array of 32-bit words.
class BitsetFilter : public hnswlib::BaseFilterFunctor {
 public:
  explicit BitsetFilter(std::vector<uint32_t> words) : words_(std::move(words)) {}
  bool operator()(hnswlib::labeltype label) override {
    const size_t word = static_cast<size_t>(label >> 5);
    return word < words_.size() && ((words_[word] >> (label & 31)) & 1u) != 0;
  }

 private:
  std::vector<uint32_t> words_;
};

// Allows the labels for which a JavaScript predicate returns true. Used on the JavaScript thread
// only. An exception thrown by the predicate is kept and rethrown once the walk has returned, so
// that no C++ exception crosses hnswlib's frames (which would leak its visited list).
class CallbackFilter : public hnswlib::BaseFilterFunctor {
 public:
  CallbackFilter(Napi::Env env, Napi::Function fn) : env_(env), fn_(fn) {}
  bool operator()(hnswlib::labeltype label) override {
    if (failed_) return false;
    try {
      Napi::Value result = fn_.Call({Napi::Number::New(env_, static_cast<double>(label))});
      return result.IsBoolean() && result.As<Napi::Boolean>().Value();
    } catch (const Napi::Error& e) {
      failure_ = e;
      failed_ = true;
      return false;
    }
  }
  void RethrowIfFailed() {
    if (failed_) throw failure_;
  }

 private:
  Napi::Env env_;
  Napi::Function fn_;
  Napi::Error failure_;
  bool failed_ = false;
};

struct Hit {
  float distance;
  uint32_t label;
};

// The k nearest labels to `query` with beam width max(ef, k), nearest first. The caller holds the
// gate shared. The upper layers are descended greedily as hnswlib's own searchKnn does; the base
// layer is searched by hnswlib.
std::vector<Hit> Knn(const Graph& graph, const float* query, size_t k, size_t ef, hnswlib::BaseFilterFunctor* filter) {
  std::vector<Hit> hits;
  if (graph.cur_element_count == 0 || k == 0) return hits;
  hnswlib::tableint current = graph.enterpoint_node_;
  float currentDistance = graph.fstdistfunc_(query, graph.getDataByInternalId(current), graph.dist_func_param_);
  for (int level = graph.maxlevel_; level > 0; level--) {
    bool moved = true;
    while (moved) {
      moved = false;
      unsigned int* list = graph.get_linklist(current, level);
      const int size = graph.getListCount(list);
      const hnswlib::tableint* neighbours = reinterpret_cast<const hnswlib::tableint*>(list + 1);
      for (int i = 0; i < size; i++) {
        const hnswlib::tableint candidate = neighbours[i];
        const float d = graph.fstdistfunc_(query, graph.getDataByInternalId(candidate), graph.dist_func_param_);
        if (d < currentDistance) {
          currentDistance = d;
          current = candidate;
          moved = true;
        }
      }
    }
  }
  const size_t beam = ef > k ? ef : k;
  auto top = (graph.num_deleted_ == 0 && filter == nullptr)
                 ? graph.searchBaseLayerST<true>(current, query, beam, filter)
                 : graph.searchBaseLayerST<false>(current, query, beam, filter);
  while (top.size() > k) top.pop();
  hits.resize(top.size());
  for (size_t i = top.size(); i > 0; i--) {
    hits[i - 1] = Hit{top.top().first, static_cast<uint32_t>(graph.getExternalLabel(top.top().second))};
    top.pop();
  }
  return hits;
}

Napi::Object HitsToJs(Napi::Env env, const std::vector<Hit>& hits) {
  Napi::Uint32Array labels = Napi::Uint32Array::New(env, hits.size());
  Napi::Float32Array distances = Napi::Float32Array::New(env, hits.size());
  for (size_t i = 0; i < hits.size(); i++) {
    labels[i] = hits[i].label;
    distances[i] = hits[i].distance;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("labels", labels);
  out.Set("distances", distances);
  return out;
}

std::vector<uint32_t> CopyWords(const Napi::Value& value) {
  Napi::Uint32Array words = value.As<Napi::Uint32Array>();
  return std::vector<uint32_t>(words.Data(), words.Data() + words.ElementLength());
}

bool IsUint32Array(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array;
}

bool IsFloat32Array(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
}

size_t ToSize(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a number");
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw Napi::RangeError::New(value.Env(), std::string(what) + " must be a non-negative integer");
  }
  return static_cast<size_t>(d);
}

// The shared state of a graph: kept alive by the JS object and by every search in flight, so that
// a graph dropped by JavaScript while a pool thread walks it is freed only after the walk.
struct GraphState {
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<Graph> graph;
  RwGate gate;
  size_t dim = 0;
};

class SearchWorker : public Napi::AsyncWorker {
 public:
  SearchWorker(Napi::Env env, std::shared_ptr<GraphState> state, std::vector<float> query, size_t k, size_t ef,
               std::unique_ptr<BitsetFilter> filter)
      : Napi::AsyncWorker(env, "hektor.hnsw.search"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        query_(std::move(query)),
        k_(k),
        ef_(ef),
        filter_(std::move(filter)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      SharedHold hold(state_->gate);
      if (!state_->graph) {
        SetError("the graph is closed");
        return;
      }
      hits_ = Knn(*state_->graph, query_.data(), k_, ef_, filter_.get());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(HitsToJs(Env(), hits_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<GraphState> state_;
  std::vector<float> query_;
  size_t k_;
  size_t ef_;
  std::unique_ptr<BitsetFilter> filter_;
  std::vector<Hit> hits_;
};

class HnswGraph : public Napi::ObjectWrap<HnswGraph> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "HnswGraph",
                       {
                           InstanceMethod<&HnswGraph::Init>("init"),
                           InstanceMethod<&HnswGraph::Read>("read"),
                           InstanceMethod<&HnswGraph::Write>("write"),
                           InstanceMethod<&HnswGraph::Add>("add"),
                           InstanceMethod<&HnswGraph::Remove>("remove"),
                           InstanceMethod<&HnswGraph::Resize>("resize"),
                           InstanceMethod<&HnswGraph::Capacity>("capacity"),
                           InstanceMethod<&HnswGraph::Size>("size"),
                           InstanceMethod<&HnswGraph::Labels>("labels"),
                           InstanceMethod<&HnswGraph::SearchSync>("searchSync"),
                           InstanceMethod<&HnswGraph::Search>("search"),
                           InstanceMethod<&HnswGraph::Close>("close"),
                       });
  }

  // new HnswGraph(space: 'l2' | 'ip', dim)
  explicit HnswGraph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HnswGraph>(info), state_(std::make_shared<GraphState>()) {
    Napi::Env env = info.Env();
    if (info.Length() != 2 || !info[0].IsString()) throw Napi::TypeError::New(env, "expected (space: 'l2' | 'ip', dim: number)");
    const std::string space = info[0].As<Napi::String>().Utf8Value();
    const size_t dim = ToSize(info[1], "dim");
    if (dim == 0) throw Napi::RangeError::New(env, "dim must be positive");
    if (space == "l2") {
      state_->space = std::make_unique<hnswlib::L2Space>(dim);
    } else if (space == "ip") {
      state_->space = std::make_unique<hnswlib::InnerProductSpace>(dim);
    } else {
      throw Napi::TypeError::New(env, "space must be 'l2' or 'ip'");
    }
    state_->dim = dim;
  }

 private:
  Graph& Open(Napi::Env env) {
    if (!state_->graph) throw Napi::Error::New(env, "the graph is closed or not initialised");
    return *state_->graph;
  }

  const float* Vector(const Napi::Value& value) {
    if (!IsFloat32Array(value)) throw Napi::TypeError::New(value.Env(), "vector must be a Float32Array");
    Napi::Float32Array v = value.As<Napi::Float32Array>();
    if (v.ElementLength() != state_->dim) {
      throw Napi::RangeError::New(value.Env(), "vector has " + std::to_string(v.ElementLength()) + " values, the graph " +
                                                   std::to_string(state_->dim));
    }
    return v.Data();
  }

  // init(maxElements, m, efConstruct, seed)
  Napi::Value Init(const Napi::CallbackInfo& info) {
    const size_t capacity = ToSize(info[0], "maxElements");
    const size_t m = ToSize(info[1], "m");
    const size_t efConstruct = ToSize(info[2], "efConstruct");
    const size_t seed = ToSize(info[3], "seed");
    ExclusiveHold hold(state_->gate);
    state_->graph = std::make_unique<Graph>(state_->space.get(), capacity, m, efConstruct, seed, false);
    return info.Env().Undefined();
  }

  // read(path): replaces the graph with the one saved at `path`.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    ExclusiveHold hold(state_->gate);
    try {
      auto graph = std::make_unique<Graph>(state_->space.get(), path, false, 0, false);
      if (graph->data_size_ != state_->space->get_data_size()) throw std::runtime_error(path + " holds a graph of another dimension");
      state_->graph = std::move(graph);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  // write(path)
  Napi::Value Write(const Napi::CallbackInfo& info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    SharedHold hold(state_->gate);
    try {
      Open(info.Env()).saveIndex(path);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  // add(vector: Float32Array, label): inserts, or updates the label in place and clears its tombstone.
  Napi::Value Add(const Napi::CallbackInfo& info) {
    const float* vector = Vector(info[0]);
    const size_t label = ToSize(info[1], "label");
    Graph& graph = Open(info.Env());
    ExclusiveHold hold(state_->gate);
    try {
      graph.addPoint(vector, label);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  // remove(label): sets the label's tombstone; false when the label is absent or already removed.
  Napi::Value Remove(const Napi::CallbackInfo& info) {
    const size_t label = ToSize(info[0], "label");
    Graph& graph = Open(info.Env());
    ExclusiveHold hold(state_->gate);
    {
      std::unique_lock<std::mutex> lock(graph.label_lookup_lock);
      auto found = graph.label_lookup_.find(label);
      if (found == graph.label_lookup_.end() || graph.isMarkedDeleted(found->second)) return Napi::Boolean::New(info.Env(), false);
    }
    graph.markDelete(label);
    return Napi::Boolean::New(info.Env(), true);
  }

  Napi::Value Resize(const Napi::CallbackInfo& info) {
    const size_t capacity = ToSize(info[0], "maxElements");
    Graph& graph = Open(info.Env());
    ExclusiveHold hold(state_->gate);
    try {
      graph.resizeIndex(capacity);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  Napi::Value Capacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Open(info.Env()).max_elements_));
  }

  // Elements in the graph, tombstoned ones included.
  Napi::Value Size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Open(info.Env()).cur_element_count.load()));
  }

  // Every label in the graph, tombstoned ones included.
  Napi::Value Labels(const Napi::CallbackInfo& info) {
    Graph& graph = Open(info.Env());
    SharedHold hold(state_->gate);
    std::unique_lock<std::mutex> lock(graph.label_lookup_lock);
    Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), graph.label_lookup_.size());
    size_t i = 0;
    for (const auto& entry : graph.label_lookup_) out[i++] = static_cast<uint32_t>(entry.first);
    return out;
  }

  // searchSync(query, k, ef, filter?: Uint32Array | (label) => boolean) -> { labels, distances }
  Napi::Value SearchSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const float* query = Vector(info[0]);
    const size_t k = ToSize(info[1], "k");
    const size_t ef = ToSize(info[2], "ef");
    Graph& graph = Open(env);
    std::vector<Hit> hits;
    if (info.Length() > 3 && info[3].IsFunction()) {
      CallbackFilter filter(env, info[3].As<Napi::Function>());
      {
        SharedHold hold(state_->gate);
        hits = Knn(graph, query, k, ef, &filter);
      }
      filter.RethrowIfFailed();
    } else if (info.Length() > 3 && IsUint32Array(info[3])) {
      BitsetFilter filter(CopyWords(info[3]));
      SharedHold hold(state_->gate);
      hits = Knn(graph, query, k, ef, &filter);
    } else {
      SharedHold hold(state_->gate);
      hits = Knn(graph, query, k, ef, nullptr);
    }
    return HitsToJs(env, hits);
  }

  // search(query, k, ef, filter?: Uint32Array) -> Promise<{ labels, distances }>, walked on the pool.
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const float* query = Vector(info[0]);
    const size_t k = ToSize(info[1], "k");
    const size_t ef = ToSize(info[2], "ef");
    Open(env);
    std::unique_ptr<BitsetFilter> filter;
    if (info.Length() > 3 && IsUint32Array(info[3])) filter = std::make_unique<BitsetFilter>(CopyWords(info[3]));
    auto* worker = new SearchWorker(env, state_, std::vector<float>(query, query + state_->dim), k, ef, std::move(filter));
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  // close(): frees the graph once no search is in flight.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    ExclusiveHold hold(state_->gate);
    state_->graph.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<GraphState> state_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("HnswGraph", HnswGraph::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(hektor_hnsw, Init)
