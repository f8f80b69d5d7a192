// Hektor's binding of hnswlib's HNSW graph (the header-only C++ library that hnswlib-node ships).
//
// Why a binding of our own: hnswlib-node searches only synchronously, on the JavaScript thread,
// takes vectors as plain JS arrays read element by element, and calls back into JavaScript for
// every node a filtered walk visits. This binding
//   * searches asynchronously on search threads of its own, so that a node's second core walks the
//     graph while the JavaScript thread parses and answers HTTP;
//   * takes Float32Array vectors without conversion;
//   * filters with a bitset of allowed labels tested in C++, or (synchronous searches only) with a
//     JavaScript predicate;
//   * takes the beam width per search instead of from a shared field, so that concurrent searches
//     may use different ef values.
//
// Threads: every mutation (add, remove, resize, load) runs on the JavaScript thread; searches run
// on the JavaScript thread or on search threads. A writer-preferring readers/writer lock keeps
// mutations apart from searches: hnswlib allows concurrent searches, and concurrent searches with
// markDelete, but neither addPoint nor resizeIndex concurrently with a search. Writers are
// preferred so that a steady stream of searches cannot starve ingest.

#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <thread>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
  hnswlib::tableint internal;  // the graph's own id of the element
};

// The exact float64 score of a stored vector `v` against `query` over their first `dim` values:
// the Euclidean distance when `euclid`, else the dot product. Computed operation for operation as
// src/index/distance.ts does (four accumulators, then s0 + s1 + (s2 + s3)), and compiled without
// FMA contraction, so the result is bit-identical to the JavaScript score.
double ExactScore(const float* v, const float* query, size_t dim, bool euclid) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const size_t end4 = dim - dim % 4;
  size_t i = 0;
  if (euclid) {
    for (; i < end4; i += 4) {
      const double d0 = static_cast<double>(v[i]) - static_cast<double>(query[i]);
      const double d1 = static_cast<double>(v[i + 1]) - static_cast<double>(query[i + 1]);
      const double d2 = static_cast<double>(v[i + 2]) - static_cast<double>(query[i + 2]);
      const double d3 = static_cast<double>(v[i + 3]) - static_cast<double>(query[i + 3]);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < dim; i++) {
      const double d = static_cast<double>(v[i]) - static_cast<double>(query[i]);
      s0 += d * d;
    }
    return std::sqrt(s0 + s1 + (s2 + s3));
  }
  for (; i < end4; i += 4) {
    s0 += static_cast<double>(v[i]) * static_cast<double>(query[i]);
    s1 += static_cast<double>(v[i + 1]) * static_cast<double>(query[i + 1]);
    s2 += static_cast<double>(v[i + 2]) * static_cast<double>(query[i + 2]);
    s3 += static_cast<double>(v[i + 3]) * static_cast<double>(query[i + 3]);
  }
  for (; i < dim; i++) s0 += static_cast<double>(v[i]) * static_cast<double>(query[i]);
  return s0 + s1 + (s2 + s3);
}

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
    hits[i - 1] = Hit{top.top().first, static_cast<uint32_t>(graph.getExternalLabel(top.top().second)), top.top().second};
    top.pop();
  }
  return hits;
}

// The k labels nearest to `query` among those set in `words` (every live label when `words` is
// empty) that `filter` (when given) allows, nearest first, by brute force with hnswlib's SIMD
// distance. The caller holds the gate
// shared, so no insertion or removal runs meanwhile.
std::vector<Hit> Scan(const Graph& graph, const float* query, size_t k, const std::vector<uint32_t>& words, hnswlib::BaseFilterFunctor* filter) {
  std::vector<Hit> hits;
  if (k == 0) return hits;
  auto worse = [](const Hit& a, const Hit& b) { return a.distance < b.distance; };  // max-heap on distance
  auto consider = [&](hnswlib::tableint internal, uint32_t label) {
    if (graph.isMarkedDeleted(internal)) return;
    if (filter != nullptr && !(*filter)(label)) return;
    const float d = graph.fstdistfunc_(query, graph.getDataByInternalId(internal), graph.dist_func_param_);
    if (hits.size() < k) {
      hits.push_back(Hit{d, label, internal});
      std::push_heap(hits.begin(), hits.end(), worse);
    } else if (d < hits.front().distance) {
      std::pop_heap(hits.begin(), hits.end(), worse);
      hits.back() = Hit{d, label, internal};
      std::push_heap(hits.begin(), hits.end(), worse);
    }
  };
  if (words.empty()) {
    const size_t n = graph.cur_element_count;
    for (size_t i = 0; i < n; i++) consider(static_cast<hnswlib::tableint>(i), static_cast<uint32_t>(graph.getExternalLabel(i)));
  } else {
    for (size_t w = 0; w < words.size(); w++) {
      uint32_t bits = words[w];
      while (bits != 0) {
        const uint32_t label = static_cast<uint32_t>(w * 32 + static_cast<size_t>(__builtin_ctz(bits)));
        bits &= bits - 1;
        auto found = graph.label_lookup_.find(label);
        if (found != graph.label_lookup_.end()) consider(found->second, label);
      }
    }
  }
  std::sort_heap(hits.begin(), hits.end(), worse);
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

// The result of a scored search, in one array (each typed array a search returns costs it an
// allocation that V8 tracks): the n hits' labels, nearest first, then their exact float64 scores.
// Labels are below 2^32, so a double holds them exactly.
Napi::Float64Array PackedHitsToJs(Napi::Env env, const std::vector<Hit>& hits, const std::vector<double>& scores) {
  const size_t n = hits.size();
  Napi::Float64Array out = Napi::Float64Array::New(env, 2 * n);
  double* data = out.Data();
  for (size_t i = 0; i < n; i++) {
    data[i] = static_cast<double>(hits[i].label);
    data[n + i] = scores[i];
  }
  return out;
}

// The exact scores of `hits` (see ExactScore) over the query's first `scoreDim` values. The caller
// holds the gate shared, as for the walk that found them, so their internal ids are still theirs.
std::vector<double> ScoreHits(const Graph& graph, const std::vector<Hit>& hits, const float* query, size_t scoreDim, bool euclid) {
  std::vector<double> scores(hits.size());
  for (size_t i = 0; i < hits.size(); i++) {
    scores[i] = ExactScore(reinterpret_cast<const float*>(graph.getDataByInternalId(hits[i].internal)), query, scoreDim, euclid);
  }
  return scores;
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

// Writes the graph to a file on a libuv pool thread, under a shared hold: walks go on meanwhile,
// and a mutation (which needs the exclusive hold) waits until the file is written.
class WriteWorker : public Napi::AsyncWorker {
 public:
  WriteWorker(Napi::Env env, std::shared_ptr<GraphState> state, std::string path)
      : Napi::AsyncWorker(env, "hektor:hnsw-write"), state_(std::move(state)), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    SharedHold hold(state_->gate);
    if (!state_->graph) {
      SetError("the graph is closed");
      return;
    }
    try {
      state_->graph->saveIndex(path_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<GraphState> state_;
  std::string path_;
  Napi::Promise::Deferred deferred_;
};

// One job for the search threads: made and settled on the JavaScript thread, run on a search thread.
struct Job {
  std::shared_ptr<GraphState> state;
  std::string error;
  Napi::Promise::Deferred deferred;

  explicit Job(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  virtual ~Job() = default;
  virtual void Run() = 0;
  // Resolves the promise on success (the error, if any, is rejected by the caller).
  virtual void Resolve(Napi::Env env) = 0;
};

// A graph walk, then the exact scores of its hits over the query's first `scoreDim` values (done
// here, under the same hold, while the hits' vectors are still in this thread's cache: on the
// JavaScript thread the same work cost a hash lookup and a cold read per hit).
struct SearchTask : Job {
  std::vector<float> query;
  size_t k = 0;
  size_t ef = 0;
  size_t scoreDim = 0;
  bool euclid = false;
  std::unique_ptr<BitsetFilter> filter;
  std::vector<Hit> hits;
  std::vector<double> scores;

  explicit SearchTask(Napi::Env env) : Job(env) {}

  void Resolve(Napi::Env env) override { deferred.Resolve(PackedHitsToJs(env, hits, scores)); }

  void Run() override {
    try {
      SharedHold hold(state->gate);
      if (!state->graph) {
        error = "the graph is closed";
        return;
      }
      const Graph& graph = *state->graph;
      hits = Knn(graph, query.data(), k, ef, filter.get());
      scores = ScoreHits(graph, hits, query.data(), scoreDim, euclid);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
};

// Inserts a batch of vectors, `threads` at a time (hnswlib allows concurrent insertions of
// distinct labels, except into an empty graph, and no search meanwhile: the gate is held
// exclusively). Labels already in the graph are updated first, one at a time.
struct AddTask : Job {
  std::vector<float> vectors;
  std::vector<uint32_t> labels;
  size_t dim = 0;
  size_t threads = 1;

  explicit AddTask(Napi::Env env) : Job(env) {}

  void Resolve(Napi::Env env) override { deferred.Resolve(env.Undefined()); }

  void Run() override {
    ExclusiveHold hold(state->gate);
    if (!state->graph) {
      error = "the graph is closed";
      return;
    }
    Graph& graph = *state->graph;
    std::vector<size_t> fresh;
    try {
      for (size_t i = 0; i < labels.size(); i++) {
        bool present = false;
        {
          std::unique_lock<std::mutex> lock(graph.label_lookup_lock);
          present = graph.label_lookup_.count(labels[i]) != 0;
        }
        if (present || graph.cur_element_count == 0) {
          graph.addPoint(vectors.data() + i * dim, labels[i]);
        } else {
          fresh.push_back(i);
        }
      }
      if (graph.cur_element_count + fresh.size() > graph.max_elements_) throw std::runtime_error("the batch does not fit the graph's capacity");
    } catch (const std::exception& e) {
      error = e.what();
      return;
    }
    std::atomic<size_t> next{0};
    std::mutex failure;
    auto work = [&] {
      try {
        for (size_t j = next++; j < fresh.size(); j = next++) graph.addPoint(vectors.data() + fresh[j] * dim, labels[fresh[j]]);
      } catch (const std::exception& e) {
        std::unique_lock<std::mutex> lock(failure);
        if (error.empty()) error = e.what();
      }
    };
    std::vector<std::thread> helpers;
    const size_t helpersWanted = std::min(threads, fresh.size()) > 1 ? std::min(threads, fresh.size()) - 1 : 0;
    for (size_t t = 0; t < helpersWanted; t++) helpers.emplace_back(work);
    work();
    for (auto& h : helpers) h.join();
  }
};

class SearchThreads;
void SettleOnJsThread(Napi::Env env, Napi::Function unused, SearchThreads* threads, Job* job);
using Completion = Napi::TypedThreadSafeFunction<SearchThreads, Job, SettleOnJsThread>;

// Hektor's own search threads (not libuv's pool, which is sized before any JavaScript runs and is
// shared with file I/O): a fixed set of threads that drain one queue of walks, so that a thread
// goes to sleep only when the queue is empty, and completions reach the JavaScript thread through
// one thread-safe function, which wakes it once per batch of finished walks. Measured on 2 cores
// with 8 search clients: 1 thread served more queries than 2 or 4 (each extra thread adds
// wake-ups and context switches, not throughput).
class SearchThreads {
 public:
  explicit SearchThreads(Napi::Env env) {
    completion_ = Completion::New(env, "hektor.hnsw.search", 0, 1, this);
    // Idle threads must not keep the process alive; a walk in flight refs the completion.
    completion_.Unref(env);
    // Cleanup hooks run last-registered first: the threads stop before the completion closes.
    napi_add_env_cleanup_hook(env, [](void* self) { static_cast<SearchThreads*>(self)->Stop(); }, this);
  }

  ~SearchThreads() { Stop(); }

  // Sets the number of threads (before the first search; later calls fail).
  bool Resize(size_t count) {
    if (!threads_.empty()) return false;
    count_ = count;
    return true;
  }

  size_t Count() const { return count_ > 0 ? count_ : DefaultCount(); }

  // Queues `task` (ownership passes to the threads until it is settled). JavaScript thread only.
  void Submit(Napi::Env env, Job* task) {
    if (threads_.empty()) {
      const size_t n = Count();
      for (size_t i = 0; i < n; i++) threads_.emplace_back([this] { Work(); });
    }
    if (outstanding_++ == 0) completion_.Ref(env);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queue_.push_back(task);
      queued_.fetch_add(1, std::memory_order_release);
    }
    ready_.notify_one();
  }

  // Called on the JavaScript thread for every settled task.
  void Settled(Napi::Env env) {
    if (--outstanding_ == 0) completion_.Unref(env);
  }

 private:
  static size_t DefaultCount() {
    const unsigned cores = std::thread::hardware_concurrency();
    return cores > 1 ? cores - 1 : 1;
  }

  void Work() {
    for (;;) {
      Job* task = nullptr;
      // Under load the next walk usually arrives within microseconds of the last completion; a
      // short polite spin (yielding to any runnable thread) finds it without the futex sleep and
      // wake-up, which cost both threads several microseconds per walk on a virtual machine.
      const auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
      while (queued_.load(std::memory_order_acquire) == 0 && !stopping_.load(std::memory_order_relaxed) &&
             std::chrono::steady_clock::now() < spinUntil) {
        std::this_thread::yield();
      }
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        task = queue_.front();
        queue_.pop_front();
        queued_.fetch_sub(1, std::memory_order_release);
      }
      task->Run();
      // Fails only while the environment shuts down; the task is then dropped with it.
      if (completion_.NonBlockingCall(task) != napi_ok) delete task;
    }
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    for (Job* task : queue_) delete task;
    queue_.clear();
  }

  Completion completion_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job*> queue_;
  std::atomic<size_t> queued_{0};  // queue_.size(), readable without the mutex
  // How long an idle search thread polls before sleeping. Measured with 8 REST clients on the
  // synthetic set (two nodes loaded side by side, alternating 6-second rounds): 0 µs gave 4,276,
  // 5,265 and 6,125 QPS; 100 µs gave 5,267, 6,699 and 6,556, with less server CPU per search
  // (185-248 µs against 202-268); 300 µs was no better than 100. An idle node pays at most
  // this much CPU once per walk.
  static constexpr int64_t kSpinMicros = 100;
  std::vector<std::thread> threads_;
  size_t count_ = 0;
  size_t outstanding_ = 0;  // JavaScript thread only
  std::atomic<bool> stopping_{false};  // set under the mutex, also polled without it
  bool stopped_ = false;  // JavaScript thread only
};

void SettleOnJsThread(Napi::Env env, Napi::Function, SearchThreads* threads, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;  // the environment is shutting down
  threads->Settled(env);
  if (!owned->error.empty()) {
    owned->deferred.Reject(Napi::Error::New(env, owned->error).Value());
  } else {
    owned->Resolve(env);
  }
}

// The search threads of this JavaScript environment (one per main thread or worker).
SearchThreads& ThreadsOf(Napi::Env env) {
  SearchThreads* threads = env.GetInstanceData<SearchThreads>();
  if (threads == nullptr) {
    threads = new SearchThreads(env);
    env.SetInstanceData<SearchThreads>(threads);
  }
  return *threads;
}

class HnswGraph : public Napi::ObjectWrap<HnswGraph> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "HnswGraph",
                       {
                           InstanceMethod<&HnswGraph::Init>("init"),
                           InstanceMethod<&HnswGraph::Read>("read"),
                           InstanceMethod<&HnswGraph::Write>("write"),
                           InstanceMethod<&HnswGraph::WriteAsync>("writeAsync"),
                           InstanceMethod<&HnswGraph::Add>("add"),
                           InstanceMethod<&HnswGraph::AddBatch>("addBatch"),
                           InstanceMethod<&HnswGraph::Remove>("remove"),
                           InstanceMethod<&HnswGraph::Resize>("resize"),
                           InstanceMethod<&HnswGraph::Capacity>("capacity"),
                           InstanceMethod<&HnswGraph::Size>("size"),
                           InstanceMethod<&HnswGraph::Labels>("labels"),
                           InstanceMethod<&HnswGraph::SearchSync>("searchSync"),
                           InstanceMethod<&HnswGraph::SearchScoredSync>("searchScoredSync"),
                           InstanceMethod<&HnswGraph::Search>("search"),
                           InstanceMethod<&HnswGraph::ScanSync>("scanSync"),
                           InstanceMethod<&HnswGraph::Vectors>("vectors"),
                           InstanceMethod<&HnswGraph::Scores>("scores"),
                           InstanceMethod<&HnswGraph::LiveLabels>("liveLabels"),
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

  // writeAsync(path): as write, on a pool thread; resolves once the file is written.
  Napi::Value WriteAsync(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "expected (path: string)");
    Open(info.Env());
    auto* worker = new WriteWorker(info.Env(), state_, info[0].As<Napi::String>().Utf8Value());
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
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

  // addBatch(vectors: Float32Array of n·dim, labels: Uint32Array of n, threads) -> Promise<void>:
  // inserts (or updates) n labels on a search thread, `threads` insertions at a time.
  Napi::Value AddBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!IsFloat32Array(info[0]) || !IsUint32Array(info[1])) throw Napi::TypeError::New(env, "expected (vectors: Float32Array, labels: Uint32Array, threads)");
    Napi::Float32Array vectors = info[0].As<Napi::Float32Array>();
    Napi::Uint32Array labels = info[1].As<Napi::Uint32Array>();
    if (vectors.ElementLength() != labels.ElementLength() * state_->dim) throw Napi::RangeError::New(env, "vectors must hold dim values per label");
    const size_t threads = ToSize(info[2], "threads");
    if (threads == 0) throw Napi::RangeError::New(env, "threads must be positive");
    Open(env);
    auto* task = new AddTask(env);
    task->state = state_;
    task->vectors.assign(vectors.Data(), vectors.Data() + vectors.ElementLength());
    task->labels.assign(labels.Data(), labels.Data() + labels.ElementLength());
    task->dim = state_->dim;
    task->threads = threads;
    Napi::Promise promise = task->deferred.Promise();
    ThreadsOf(env).Submit(env, task);
    return promise;
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

  // Runs `run` under the gate (shared) with `predicate` as its filter when it is a function, else
  // with `otherwise`. A predicate's exception is rethrown once the gate is released.
  template <typename Run>
  std::vector<Hit> WithPredicate(Napi::Env env, const Napi::Value& predicate, hnswlib::BaseFilterFunctor* otherwise, Run run) {
    if (!predicate.IsFunction()) {
      SharedHold hold(state_->gate);
      return run(otherwise);
    }
    CallbackFilter filter(env, predicate.As<Napi::Function>());
    std::vector<Hit> hits;
    {
      SharedHold hold(state_->gate);
      hits = run(&filter);
    }
    filter.RethrowIfFailed();
    return hits;
  }

  // searchSync(query, k, ef, filter?: Uint32Array | (label) => boolean) -> { labels, distances }
  Napi::Value SearchSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const float* query = Vector(info[0]);
    const size_t k = ToSize(info[1], "k");
    const size_t ef = ToSize(info[2], "ef");
    Graph& graph = Open(env);
    std::unique_ptr<BitsetFilter> bitset;
    if (info.Length() > 3 && IsUint32Array(info[3])) bitset = std::make_unique<BitsetFilter>(CopyWords(info[3]));
    const Napi::Value predicate = info.Length() > 3 ? info[3] : env.Undefined();
    return HitsToJs(env, WithPredicate(env, predicate, bitset.get(), [&](hnswlib::BaseFilterFunctor* filter) { return Knn(graph, query, k, ef, filter); }));
  }

  // searchScoredSync(query, k, ef, filter: Uint32Array | (label) => boolean | undefined, scoreDim,
  // euclid) -> Float64Array: searchSync, then the hits' exact scores as scores() computes them,
  // under the same hold, packed as search() packs them.
  Napi::Value SearchScoredSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ScoredSearchArgs args = ReadScoredSearchArgs(info);
    Graph& graph = Open(env);
    std::vector<double> scores;
    std::vector<Hit> hits = WithPredicate(env, info[3], args.bitset.get(), [&](hnswlib::BaseFilterFunctor* filter) {
      std::vector<Hit> found = Knn(graph, args.query, args.k, args.ef, filter);
      scores = ScoreHits(graph, found, args.query, args.scoreDim, args.euclid);
      return found;
    });
    return PackedHitsToJs(env, hits, scores);
  }

  // The arguments shared by search() and searchScoredSync(): (query, k, ef, filter, scoreDim,
  // euclid), checked; `bitset` is set when the filter is a Uint32Array.
  struct ScoredSearchArgs {
    const float* query;
    size_t k;
    size_t ef;
    size_t scoreDim;
    bool euclid;
    std::unique_ptr<BitsetFilter> bitset;
  };

  ScoredSearchArgs ReadScoredSearchArgs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ScoredSearchArgs args{Vector(info[0]), ToSize(info[1], "k"), ToSize(info[2], "ef"), ToSize(info[4], "scoreDim"), false, nullptr};
    if (!info[5].IsBoolean()) throw Napi::TypeError::New(env, "euclid must be a boolean");
    if (args.scoreDim > state_->dim) throw Napi::RangeError::New(env, "scoreDim exceeds the graph's dimension");
    args.euclid = info[5].As<Napi::Boolean>().Value();
    if (IsUint32Array(info[3])) args.bitset = std::make_unique<BitsetFilter>(CopyWords(info[3]));
    return args;
  }

  // scanSync(query, k, set?: Uint32Array | null, predicate?: (label) => boolean) -> { labels,
  // distances }: exact, by brute force over the labels set in `set` (every live label without
  // one) that `predicate` allows.
  Napi::Value ScanSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const float* query = Vector(info[0]);
    const size_t k = ToSize(info[1], "k");
    Graph& graph = Open(env);
    std::vector<uint32_t> words;
    if (info.Length() > 2 && IsUint32Array(info[2])) {
      Napi::Uint32Array w = info[2].As<Napi::Uint32Array>();
      if (w.ElementLength() == 0) return HitsToJs(env, {});
      words.assign(w.Data(), w.Data() + w.ElementLength());
    }
    const Napi::Value predicate = info.Length() > 3 ? info[3] : env.Undefined();
    return HitsToJs(env, WithPredicate(env, predicate, nullptr, [&](hnswlib::BaseFilterFunctor* filter) { return Scan(graph, query, k, words, filter); }));
  }

  // vectors(labels: Uint32Array) -> Float32Array of n·dim: the stored vectors of live labels, in
  // order; NaN for a label that is absent or removed.
  Napi::Value Vectors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!IsUint32Array(info[0])) throw Napi::TypeError::New(env, "labels must be a Uint32Array");
    Napi::Uint32Array labels = info[0].As<Napi::Uint32Array>();
    Graph& graph = Open(env);
    const size_t dim = state_->dim;
    Napi::Float32Array out = Napi::Float32Array::New(env, labels.ElementLength() * dim);
    SharedHold hold(state_->gate);
    for (size_t i = 0; i < labels.ElementLength(); i++) {
      float* target = out.Data() + i * dim;
      auto found = graph.label_lookup_.find(labels[i]);
      if (found == graph.label_lookup_.end() || graph.isMarkedDeleted(found->second)) {
        std::fill(target, target + dim, std::numeric_limits<float>::quiet_NaN());
      } else {
        std::memcpy(target, graph.getDataByInternalId(found->second), dim * sizeof(float));
      }
    }
    return out;
  }

  // scores(query: Float32Array of dim values, labels: Uint32Array, euclid: boolean) -> Float64Array:
  // the exact score of each label's stored vector (its first `query.length` values) against the
  // query, in float64: the dot product, or the Euclidean distance when `euclid`. NaN for a label
  // that is absent or removed. The arithmetic is the same, operation for operation, as
  // src/index/distance.ts (four accumulators, summed as s0 + s1 + (s2 + s3)), so that a score is
  // bit-identical whichever side computes it.
  Napi::Value Scores(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!IsFloat32Array(info[0]) || !IsUint32Array(info[1]) || !info[2].IsBoolean()) {
      throw Napi::TypeError::New(env, "expected (query: Float32Array, labels: Uint32Array, euclid: boolean)");
    }
    Napi::Float32Array q = info[0].As<Napi::Float32Array>();
    Napi::Uint32Array labels = info[1].As<Napi::Uint32Array>();
    const bool euclid = info[2].As<Napi::Boolean>().Value();
    const size_t dim = q.ElementLength();
    if (dim > state_->dim) throw Napi::RangeError::New(env, "the query is longer than the graph's vectors");
    Graph& graph = Open(env);
    Napi::Float64Array out = Napi::Float64Array::New(env, labels.ElementLength());
    const float* query = q.Data();
    SharedHold hold(state_->gate);
    for (size_t n = 0; n < labels.ElementLength(); n++) {
      auto found = graph.label_lookup_.find(labels[n]);
      if (found == graph.label_lookup_.end() || graph.isMarkedDeleted(found->second)) {
        out[n] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      out[n] = ExactScore(reinterpret_cast<const float*>(graph.getDataByInternalId(found->second)), query, dim, euclid);
    }
    return out;
  }

  // liveLabels() -> Uint32Array: every label in the graph that is not removed.
  Napi::Value LiveLabels(const Napi::CallbackInfo& info) {
    Graph& graph = Open(info.Env());
    SharedHold hold(state_->gate);
    std::vector<uint32_t> live;
    live.reserve(graph.label_lookup_.size());
    for (const auto& entry : graph.label_lookup_) {
      if (!graph.isMarkedDeleted(entry.second)) live.push_back(static_cast<uint32_t>(entry.first));
    }
    Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), live.size());
    std::copy(live.begin(), live.end(), out.Data());
    return out;
  }

  // search(query, k, ef, filter: Uint32Array | undefined, scoreDim, euclid) -> Promise<Float64Array>,
  // walked and scored on a search thread: the hits' labels, then their exact float64 scores (as
  // scores() computes them) over the query's first `scoreDim` values (see PackedHitsToJs).
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ScoredSearchArgs args = ReadScoredSearchArgs(info);
    Open(env);
    auto* task = new SearchTask(env);
    task->state = state_;
    task->query.assign(args.query, args.query + state_->dim);
    task->k = args.k;
    task->ef = args.ef;
    task->scoreDim = args.scoreDim;
    task->euclid = args.euclid;
    task->filter = std::move(args.bitset);
    Napi::Promise promise = task->deferred.Promise();
    ThreadsOf(env).Submit(env, task);
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

// setSearchThreads(n): the number of search threads, 0 for one per core but one. Only before the
// first asynchronous search; returns false afterwards.
Napi::Value SetSearchThreads(const Napi::CallbackInfo& info) {
  const size_t n = ToSize(info[0], "threads");
  return Napi::Boolean::New(info.Env(), ThreadsOf(info.Env()).Resize(n));
}

// searchThreads(): the number of search threads in effect (or to be started).
Napi::Value SearchThreadCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ThreadsOf(info.Env()).Count()));
}

// Gives the pages of freed heap memory back to the operating system, on a pool thread. glibc
// keeps what a program frees for reuse, in every thread's arena, and trims only the top of the
// main heap: after a bulk load (request bodies of megabytes, batch copies made on the index
// threads) a node kept ~75 MB more resident for 100k points than it used.
class ReleaseFreeMemoryTask : public Napi::AsyncWorker {
 public:
  explicit ReleaseFreeMemoryTask(Napi::Env env) : Napi::AsyncWorker(env, "hektor:release-memory"), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
#if defined(__GLIBC__)
    released_ = malloc_trim(0) != 0;
#endif
  }

  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), released_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  bool released_ = false;
};

// releaseFreeMemory(): resolves true when memory was given back (false where the C library has no
// such call, or had nothing to give).
Napi::Value ReleaseFreeMemory(const Napi::CallbackInfo& info) {
  auto* task = new ReleaseFreeMemoryTask(info.Env());
  Napi::Promise promise = task->Promise();
  task->Queue();
  return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseFreeMemory", Napi::Function::New<ReleaseFreeMemory>(env, "releaseFreeMemory"));
  exports.Set("HnswGraph", HnswGraph::Define(env));
  exports.Set("setSearchThreads", Napi::Function::New<SetSearchThreads>(env, "setSearchThreads"));
  exports.Set("searchThreads", Napi::Function::New<SearchThreadCount>(env, "searchThreads"));
  return exports;
}

}  // namespace

NODE_API_MODULE(hektor_hnsw, Init)
