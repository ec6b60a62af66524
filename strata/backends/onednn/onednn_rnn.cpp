// Recurrent layers on oneDNN's RNN primitives. One plan per (cell, direction, sizes, mode) holds
// the primitive, the reorders of the weights into and out of the primitive's layouts and small
// host buffers (zero states, the converted bias), so after the first batch a call only swaps
// data pointers and executes. Missing optional operands (h0, c0, bias, dh_last...) are fed as
// zero buffers rather than zero memory descriptors: one primitive then serves every
// combination. Inference may keep the reordered weights across calls (RnnParams::weights_key).
//
// Batch split: a recurrence is a chain of small GEMMs (batch x units per step), and a primitive
// that spreads each of them over the OpenMP team pays a barrier per step and per gate pass. When
// the batch is large enough, samples are independent, so the batch is cut into one slice per
// thread and every thread runs its own single-threaded primitive over the whole sequence (its
// own plan, stream and scratchpad); weight gradients of the slices are summed afterwards.
#include "strata/backends/onednn/onednn_rnn.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <omp.h>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_rnn_desc.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;
using dnnl::prop_kind;
using namespace rnn;

// Cache-key tags of this file, in their own block (conv uses 1 << 40, pooling 0x100...).
constexpr auto kRnnFwd = static_cast<PrimKey::Op>(int64_t{1} << 41);
constexpr auto kRnnBwd = static_cast<PrimKey::Op>((int64_t{1} << 41) + 1);

// `chunk` is the slice's index in a batch split: slices run at the same time, so each has its
// own plan even when their sizes agree.
PrimKey plan_key(PrimKey::Op op, const Geom& g, bool training, int chunk) {
  PrimKey key(op);
  for (int64_t v : {static_cast<int64_t>(g.cell), static_cast<int64_t>(g.act),
                    static_cast<int64_t>(g.reverse), static_cast<int64_t>(training), g.n, g.t,
                    g.i, g.u, static_cast<int64_t>(chunk)})
    key.add(v);
  return key;
}

// ---- batch split -------------------------------------------------------------------------
constexpr int kMaxChunks = 64;
// Below this many samples per thread a single-threaded step GEMM is too thin to beat the
// primitive's own threading.
constexpr int64_t kMinChunkRows = 16;

int chunk_count(int64_t n) {
  if (omp_in_parallel()) return 1;
  const int threads = std::min(omp_get_max_threads(), kMaxChunks);
  return threads > 1 && n >= kMinChunkRows * threads ? threads : 1;
}

int64_t chunk_begin(int64_t n, int chunks, int c) { return n * c / chunks; }

Geom chunk_geom(const Geom& g, int chunks, int c) {
  Geom s = g;
  s.n = chunk_begin(g.n, chunks, c + 1) - chunk_begin(g.n, chunks, c);
  return s;
}

// Runs f(c) for every slice c: inline for one slice (the primitive then threads itself), else
// one slice per thread of an OpenMP team. Exceptions are carried out of the team.
template <class F>
void run_chunks(int chunks, F&& f) {
  if (chunks == 1) return f(0);
  std::array<std::exception_ptr, kMaxChunks> errors{};
#pragma omp parallel num_threads(chunks)
  {
    for (int c = omp_get_thread_num(); c < chunks; c += omp_get_num_threads()) {
      try {
        f(c);
      } catch (...) {
        errors[c] = std::current_exception();
      }
    }
  }
  for (int c = 0; c < chunks; ++c)
    if (errors[c]) std::rethrow_exception(errors[c]);
}

size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// ---- execution ---------------------------------------------------------------------------
void check(dnnl_status_t status, const char* what) {
  if (status != dnnl_success)
    throw std::runtime_error(std::string("oneDNN RNN ") + what + " failed with status " +
                             std::to_string(static_cast<int>(status)));
}

// A primitive with argument memories that get the caller's pointers right before each run,
// followed by fixed ones (the plan's scratchpad).
struct Exec {
  dnnl::primitive primitive;
  std::vector<dnnl::memory> memories;
  std::vector<dnnl_exec_arg_t> args;
  size_t n_bound = 0;

  explicit operator bool() const { return static_cast<bool>(primitive); }
  void bind(int arg, const memory::desc& md) {
    if (n_bound != args.size()) throw std::logic_error("RNN bound argument after a fixed one");
    fix(arg, dnnl::memory(md, engine(), DNNL_MEMORY_NONE));
    n_bound = args.size();
  }
  void fix(int arg, const dnnl::memory& m) {
    memories.push_back(m);
    args.push_back({arg, memories.back().get()});
  }
  void run(dnnl::stream& s, std::initializer_list<const void*> ptrs) {
    if (ptrs.size() != n_bound)
      throw std::logic_error("oneDNN RNN primitive run with the wrong number of pointers");
    size_t k = 0;
    for (const void* p : ptrs)
      check(dnnl_memory_set_data_handle_v2(args[k++].memory, const_cast<void*>(p), nullptr),
            "set_data_handle");
    check(dnnl_primitive_execute(primitive.get(), s.get(), static_cast<int>(args.size()),
                                 args.data()),
          "execute");
    check(dnnl_stream_wait(s.get()), "stream wait");
  }
};

// Every primitive a plan creates; reported through BackendStats.
size_t g_primitives = 0;

// A reorder between two layouts, or nothing when they are the same.
Exec make_reorder(const memory::desc& from, const memory::desc& to) {
  Exec e;
  if (from == to) return e;
  e.primitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
  e.bind(DNNL_ARG_FROM, from);
  e.bind(DNNL_ARG_TO, to);
  ++g_primitives;
  return e;
}

// Runs `r` from `src` into `scratch` and returns where the operand now lies: `src` itself
// when no reorder is needed.
const void* reordered(Exec& r, const void* src, const dnnl::memory& scratch) {
  if (!r) return src;
  r.run(stream(), {src, scratch.get_data_handle()});
  return scratch.get_data_handle();
}

dnnl::memory scratch_for(const Exec& r, const memory::desc& md) {
  return r ? dnnl::memory(md, engine()) : dnnl::memory();
}

struct ForwardPlan {
  Exec main;  // src_layer, src_iter, [src_iter_c], weights x2, bias, dst_layer, dst_iter,
              // [dst_iter_c], [workspace]; then the scratchpad
  dnnl::stream stream{engine()};
  memory::desc wl_want, wi_want;
  Exec wl_reorder, wi_reorder;
  dnnl::memory wl_scratch, wi_scratch;
  std::vector<float> zeros, bias;
  size_t workspace_bytes = 0;
};

struct BackwardPlan {
  Exec main;  // the forward's arguments, workspace, then the diff_* ones in the same order
  dnnl::stream stream{engine()};
  memory::desc wl_want, wi_want;
  Exec wl_reorder, wi_reorder, dwl_reorder, dwi_reorder;
  dnnl::memory wl_scratch, wi_scratch, dwl, dwi;  // dwl / dwi: the primitive's diff weights
  std::vector<float> zeros, sink_h, sink_c, bias, dbias;
  std::vector<float> dkernel, drecurrent;  // a slice's share in Keras layout, to be summed
};

struct KeyHash {
  size_t operator()(const PrimKey& k) const { return k.hash(); }
};

// Reordered inference weights kept across calls: a few entries, least recently used replaced.
// Each keeps the Keras-layout values it was made from: a hit is confirmed by comparing them
// (a streaming read, cheaper than the blocked reorder it saves), so weights written without a
// version bump — finite-difference checks poke raw memory — never meet a stale copy.
struct WeightsEntry {
  uint64_t key = 0;
  const void* kernel = nullptr;
  const void* recurrent = nullptr;
  uint64_t last_use = 0;
  dnnl::memory wl, wi;
  std::vector<float> kernel_values, recurrent_values;
};
constexpr size_t kWeightsCacheEntries = 4;

struct State {
  // One lock for everything here: plans own their scratch memories, and the slices of one call
  // are the only executions that overlap.
  std::mutex mutex;
  std::unordered_map<PrimKey, std::unique_ptr<ForwardPlan>, KeyHash> forward;
  std::unordered_map<PrimKey, std::unique_ptr<BackwardPlan>, KeyHash> backward;
  std::vector<WeightsEntry> weights;
  uint64_t clock = 0;
};

State& state() {
  // Never destroyed: plans hold primitives, which must outlive nothing of oneDNN's statics.
  static State* s = new State;
  return *s;
}

template <class F>
auto building(const char* what, F&& f) {
  try {
    return f();
  } catch (const dnnl::error& e) {
    throw std::runtime_error(std::string("oneDNN could not create an RNN ") + what + ": " +
                             e.what());
  }
}

void fix_scratchpad(Exec& m, const dnnl::primitive_desc& pd) {
  const memory::desc md = pd.scratchpad_desc();
  if (md.get_size() > 0) m.fix(DNNL_ARG_SCRATCHPAD, dnnl::memory(md, engine()));
}

std::unique_ptr<ForwardPlan> build_forward(const Geom& g, bool training) {
  auto plan = std::make_unique<ForwardPlan>();
  const auto pd =
      forward_pd(g, training ? prop_kind::forward_training : prop_kind::forward_inference);
  plan->main.primitive = dnnl::primitive(pd);
  ++g_primitives;
  Exec& m = plan->main;
  m.bind(DNNL_ARG_SRC_LAYER, layer_md(g, g.i));
  m.bind(DNNL_ARG_SRC_ITER, state_md(g));
  if (g.lstm()) m.bind(DNNL_ARG_SRC_ITER_C, state_md(g));
  plan->wl_want = arg_md(pd, DNNL_ARG_WEIGHTS_LAYER);
  plan->wi_want = arg_md(pd, DNNL_ARG_WEIGHTS_ITER);
  m.bind(DNNL_ARG_WEIGHTS_LAYER, plan->wl_want);
  m.bind(DNNL_ARG_WEIGHTS_ITER, plan->wi_want);
  m.bind(DNNL_ARG_BIAS, bias_md(g));
  m.bind(DNNL_ARG_DST_LAYER, layer_md(g, g.u));
  m.bind(DNNL_ARG_DST_ITER, state_md(g));
  if (g.lstm()) m.bind(DNNL_ARG_DST_ITER_C, state_md(g));
  if (training) {
    const memory::desc ws = arg_md(pd, DNNL_ARG_WORKSPACE);
    m.bind(DNNL_ARG_WORKSPACE, ws);
    plan->workspace_bytes = ws.get_size();
  }
  fix_scratchpad(m, pd);
  plan->wl_reorder = make_reorder(keras_wl(g), plan->wl_want);
  plan->wi_reorder = make_reorder(keras_wi(g), plan->wi_want);
  plan->wl_scratch = scratch_for(plan->wl_reorder, plan->wl_want);
  plan->wi_scratch = scratch_for(plan->wi_reorder, plan->wi_want);
  plan->zeros.assign(static_cast<size_t>(g.state()), 0.f);
  plan->bias.assign(static_cast<size_t>(g.gb * g.u), 0.f);
  return plan;
}

std::unique_ptr<BackwardPlan> build_backward(const Geom& g) {
  auto plan = std::make_unique<BackwardPlan>();
  const auto pd = backward_pd(g);
  plan->main.primitive = dnnl::primitive(pd);
  ++g_primitives;
  Exec& m = plan->main;
  plan->wl_want = arg_md(pd, DNNL_ARG_WEIGHTS_LAYER);
  plan->wi_want = arg_md(pd, DNNL_ARG_WEIGHTS_ITER);
  const auto dwl = arg_md(pd, DNNL_ARG_DIFF_WEIGHTS_LAYER);
  const auto dwi = arg_md(pd, DNNL_ARG_DIFF_WEIGHTS_ITER);
  m.bind(DNNL_ARG_SRC_LAYER, layer_md(g, g.i));
  m.bind(DNNL_ARG_SRC_ITER, state_md(g));
  if (g.lstm()) m.bind(DNNL_ARG_SRC_ITER_C, state_md(g));
  m.bind(DNNL_ARG_WEIGHTS_LAYER, plan->wl_want);
  m.bind(DNNL_ARG_WEIGHTS_ITER, plan->wi_want);
  m.bind(DNNL_ARG_BIAS, bias_md(g));
  m.bind(DNNL_ARG_DST_LAYER, layer_md(g, g.u));
  m.bind(DNNL_ARG_DST_ITER, state_md(g));
  if (g.lstm()) m.bind(DNNL_ARG_DST_ITER_C, state_md(g));
  m.bind(DNNL_ARG_WORKSPACE, arg_md(pd, DNNL_ARG_WORKSPACE));
  m.bind(DNNL_ARG_DIFF_SRC_LAYER, layer_md(g, g.i));
  m.bind(DNNL_ARG_DIFF_SRC_ITER, state_md(g));
  if (g.lstm()) m.bind(DNNL_ARG_DIFF_SRC_ITER_C, state_md(g));
  m.bind(DNNL_ARG_DIFF_BIAS, bias_md(g));
  m.bind(DNNL_ARG_DIFF_DST_LAYER, layer_md(g, g.u));
  m.bind(DNNL_ARG_DIFF_DST_ITER, state_md(g));
  if (g.lstm()) m.bind(DNNL_ARG_DIFF_DST_ITER_C, state_md(g));
  // The diff weights always land in plan memory: oneDNN accumulates into them, and the slices
  // of a batch split are summed afterwards.
  plan->dwl = dnnl::memory(dwl, engine());
  plan->dwi = dnnl::memory(dwi, engine());
  m.fix(DNNL_ARG_DIFF_WEIGHTS_LAYER, plan->dwl);
  m.fix(DNNL_ARG_DIFF_WEIGHTS_ITER, plan->dwi);
  fix_scratchpad(m, pd);
  plan->wl_reorder = make_reorder(keras_wl(g), plan->wl_want);
  plan->wi_reorder = make_reorder(keras_wi(g), plan->wi_want);
  plan->dwl_reorder = make_reorder(dwl, keras_wl(g));
  plan->dwi_reorder = make_reorder(dwi, keras_wi(g));
  plan->wl_scratch = scratch_for(plan->wl_reorder, plan->wl_want);
  plan->wi_scratch = scratch_for(plan->wi_reorder, plan->wi_want);
  const auto state_n = static_cast<size_t>(g.state());
  plan->zeros.assign(state_n, 0.f);
  plan->sink_h.assign(state_n, 0.f);
  plan->sink_c.assign(state_n, 0.f);
  plan->bias.assign(static_cast<size_t>(g.gb * g.u), 0.f);
  plan->dbias.assign(static_cast<size_t>(g.gb * g.u), 0.f);
  plan->dkernel.assign(static_cast<size_t>(g.i * g.g * g.u), 0.f);
  plan->drecurrent.assign(static_cast<size_t>(g.u * g.g * g.u), 0.f);
  return plan;
}

template <class Plan, class Build>
Plan& find_plan(std::unordered_map<PrimKey, std::unique_ptr<Plan>, KeyHash>& plans,
                const PrimKey& key, const char* what, Build&& build) {
  auto it = plans.find(key);
  if (it == plans.end()) it = plans.emplace(key, building(what, build)).first;
  return *it->second;
}

bool same_values(const std::vector<float>& saved, const View& v) {
  return saved.size() == static_cast<size_t>(v.shape.numel()) &&
         std::memcmp(saved.data(), v.data, saved.size() * sizeof(float)) == 0;
}

// The inference weights in the plan's layout, from the cache when the caller's weights_key,
// buffers and values match an entry; otherwise reordered into the least recently used entry.
std::pair<const void*, const void*> cached_weights(State& s, ForwardPlan& plan, uint64_t key,
                                                   const View& kernel, const View& recurrent) {
  const auto same_layout = [&](const WeightsEntry& e) {
    return (plan.wl_reorder ? e.wl && e.wl.get_desc() == plan.wl_want : !e.wl) &&
           (plan.wi_reorder ? e.wi && e.wi.get_desc() == plan.wi_want : !e.wi);
  };
  ++s.clock;
  WeightsEntry* slot = nullptr;
  for (WeightsEntry& e : s.weights)
    if (e.key == key && e.kernel == kernel.data && e.recurrent == recurrent.data &&
        same_layout(e)) {
      slot = &e;
      break;
    }
  if (slot && (!slot->wl || same_values(slot->kernel_values, kernel)) &&
      (!slot->wi || same_values(slot->recurrent_values, recurrent))) {
    slot->last_use = s.clock;
    return {slot->wl ? slot->wl.get_data_handle() : kernel.data,
            slot->wi ? slot->wi.get_data_handle() : recurrent.data};
  }
  if (!slot && s.weights.size() < kWeightsCacheEntries) slot = &s.weights.emplace_back();
  if (!slot)
    slot = &*std::min_element(s.weights.begin(), s.weights.end(),
                              [](const WeightsEntry& a, const WeightsEntry& b) {
                                return a.last_use < b.last_use;
                              });
  // A replaced entry's memory is reused when the layout is the same, so a model whose weights
  // change between predictions does not allocate on every call.
  const auto refresh = [](bool needed, dnnl::memory& m, const memory::desc& want,
                          std::vector<float>& values, const View& src) {
    if (!needed) {
      m = dnnl::memory();
      values.clear();
      return;
    }
    if (!m || m.get_desc() != want) m = dnnl::memory(want, engine());
    values.assign(src.f(), src.f() + src.shape.numel());
  };
  refresh(static_cast<bool>(plan.wl_reorder), slot->wl, plan.wl_want, slot->kernel_values,
          kernel);
  refresh(static_cast<bool>(plan.wi_reorder), slot->wi, plan.wi_want, slot->recurrent_values,
          recurrent);
  slot->key = key;
  slot->kernel = kernel.data;
  slot->recurrent = recurrent.data;
  slot->last_use = s.clock;
  return {reordered(plan.wl_reorder, kernel.data, slot->wl),
          reordered(plan.wi_reorder, recurrent.data, slot->wi)};
}

struct RnnPayload : Payload {
  std::shared_ptr<Buffer> workspace;
  Geom geom;
  int chunks = 1;
  std::array<size_t, kMaxChunks> offsets{};  // each slice's workspace, in bytes
};

const float* rows(const View& v, int64_t row, int64_t width) { return v.f() + row * width; }
float* rows_out(const View& v, int64_t row, int64_t width) { return v.f() + row * width; }
const void* rows_or(const View* v, int64_t row, int64_t width, const void* fallback) {
  return v ? static_cast<const void*>(rows(*v, row, width)) : fallback;
}

// Each slice's weights in its plan's layout; slices whose layouts agree share one reorder.
template <class Plan, class Reorder>
void slice_weights(const std::array<Plan*, kMaxChunks>& plans, int chunks, Reorder&& reorder,
                   std::array<const void*, kMaxChunks>& wl,
                   std::array<const void*, kMaxChunks>& wi) {
  for (int c = 0; c < chunks; ++c) {
    int same = -1;
    for (int o = 0; o < c && same < 0; ++o)
      if (plans[o]->wl_want == plans[c]->wl_want && plans[o]->wi_want == plans[c]->wi_want)
        same = o;
    if (same >= 0) {
      wl[c] = wl[same];
      wi[c] = wi[same];
    } else {
      std::tie(wl[c], wi[c]) = reorder(*plans[c]);
    }
  }
}

}  // namespace

PayloadPtr rnn_forward(Backend& be, const RnnParams& p, const View& x, const View* h0,
                       const View* c0, const View& kernel, const View& recurrent,
                       const View* bias, const View& y, const View& h_last, const View* c_last,
                       bool training) {
  constexpr const char* kOp = "rnn_forward";
  const Geom g = check_forward(kOp, p, x, h0, c0, kernel, recurrent, bias, y, h_last, c_last);
  std::shared_ptr<RnnPayload> saved;
  if (training) {
    saved = std::make_shared<RnnPayload>();
    saved->geom = g;
  }
  if (g.n == 0) return saved;  // nothing to compute; backward knows the batch was empty

  State& s = state();
  std::lock_guard lock(s.mutex);
  const int chunks = chunk_count(g.n);
  std::array<ForwardPlan*, kMaxChunks> plans{};
  for (int c = 0; c < chunks; ++c) {
    const Geom gc = chunk_geom(g, chunks, c);
    plans[c] = &find_plan(s.forward, plan_key(kRnnFwd, gc, training, c), "forward",
                          [&] { return build_forward(gc, training); });
  }
  std::array<const void*, kMaxChunks> wl{}, wi{};
  slice_weights(plans, chunks, [&](ForwardPlan& plan) -> std::pair<const void*, const void*> {
    if (!training && p.weights_key != 0)
      return cached_weights(s, plan, p.weights_key, kernel, recurrent);
    return {reordered(plan.wl_reorder, kernel.data, plan.wl_scratch),
            reordered(plan.wi_reorder, recurrent.data, plan.wi_scratch)};
  }, wl, wi);
  float* converted = plans[0]->bias.data();
  const void* b = bias && !g.lbr() ? bias->data : converted;
  if (b == converted) convert_bias(g, bias, converted);
  char* workspace = nullptr;
  if (training) {
    size_t total = 0;
    for (int c = 0; c < chunks; ++c) {
      saved->offsets[c] = total;
      total += align64(plans[c]->workspace_bytes);
    }
    saved->chunks = chunks;
    saved->workspace = be.allocate(total);
    workspace = static_cast<char*>(saved->workspace->data());
  }

  run_chunks(chunks, [&](int c) {
    ForwardPlan& plan = *plans[c];
    const int64_t r = chunk_begin(g.n, chunks, c), u = g.u;
    const void* zero = plan.zeros.data();
    const void* xs = rows(x, r, g.t * g.i);
    const void* hs = rows_or(h0, r, u, zero);
    void* ys = rows_out(y, r, g.t * u);
    void* hl = rows_out(h_last, r, u);
    void* ws = training ? workspace + saved->offsets[c] : nullptr;
    if (g.lstm()) {
      const void* cs = rows_or(c0, r, u, zero);
      void* cl = rows_out(*c_last, r, u);
      if (training)
        plan.main.run(plan.stream, {xs, hs, cs, wl[c], wi[c], b, ys, hl, cl, ws});
      else
        plan.main.run(plan.stream, {xs, hs, cs, wl[c], wi[c], b, ys, hl, cl});
    } else if (training) {
      plan.main.run(plan.stream, {xs, hs, wl[c], wi[c], b, ys, hl, ws});
    } else {
      plan.main.run(plan.stream, {xs, hs, wl[c], wi[c], b, ys, hl});
    }
  });
  return saved;
}

void rnn_backward(const RnnParams& p, const Payload& saved, const View& x, const View* h0,
                  const View* c0, const View& kernel, const View& recurrent, const View* bias,
                  const View& y, const View& h_last, const View* c_last, const View& dy,
                  const View* dh_last, const View* dc_last, const View& dx, const View* dh0,
                  const View* dc0, const View& dkernel, const View& drecurrent,
                  const View* dbias) {
  constexpr const char* kOp = "rnn_backward";
  const Geom g = check_forward(kOp, p, x, h0, c0, kernel, recurrent, bias, y, h_last, c_last);
  const auto* payload = dynamic_cast<const RnnPayload*>(&saved);
  if (!payload) op_error(kOp, "needs the payload of a training-mode rnn_forward");
  if (!same_geom(payload->geom, g))
    op_error(kOp, "the payload comes from a forward of another problem (cell, direction or "
                  "sizes differ from x " + x.shape.str() + ", recurrent " +
                  recurrent.shape.str() + ")");
  expect_shape(kOp, "dy", dy, y.shape, g);
  expect_shape(kOp, "dx", dx, x.shape, g);
  expect_shape(kOp, "dkernel", dkernel, kernel.shape, g);
  expect_shape(kOp, "drecurrent", drecurrent, recurrent.shape, g);
  if (dbias) {
    if (!bias) op_error(kOp, "dbias given for a forward without bias");
    expect_shape(kOp, "dbias", *dbias, bias->shape, g);
  }
  if (dh_last) expect_shape(kOp, "dh_last", *dh_last, h_last.shape, g);
  if (dh0) expect_shape(kOp, "dh0", *dh0, h_last.shape, g);
  if (g.lstm()) {
    if (dc_last) expect_shape(kOp, "dc_last", *dc_last, h_last.shape, g);
    if (dc0) expect_shape(kOp, "dc0", *dc0, h_last.shape, g);
  } else if (dc_last || dc0) {
    op_error(kOp, std::string("dc_last / dc0 belong to lstm cells only, not ") +
                      rnn_cell_name(g.cell));
  }
  const auto zero_view = [](const View& v) {
    std::memset(v.data, 0, static_cast<size_t>(v.shape.numel()) * sizeof(float));
  };
  if (g.n == 0) {  // an empty batch contributes nothing
    zero_view(dkernel);
    zero_view(drecurrent);
    if (dbias) zero_view(*dbias);
    return;
  }

  State& s = state();
  std::lock_guard lock(s.mutex);
  const int chunks = payload->chunks;  // the forward's split: the workspaces follow it
  std::array<BackwardPlan*, kMaxChunks> plans{};
  for (int c = 0; c < chunks; ++c) {
    const Geom gc = chunk_geom(g, chunks, c);
    plans[c] = &find_plan(s.backward, plan_key(kRnnBwd, gc, true, c), "backward",
                          [&] { return build_backward(gc); });
  }
  std::array<const void*, kMaxChunks> wl{}, wi{};
  slice_weights(plans, chunks, [&](BackwardPlan& plan) -> std::pair<const void*, const void*> {
    return {reordered(plan.wl_reorder, kernel.data, plan.wl_scratch),
            reordered(plan.wi_reorder, recurrent.data, plan.wi_scratch)};
  }, wl, wi);
  float* converted = plans[0]->bias.data();
  const void* b = bias && !g.lbr() ? bias->data : converted;
  if (b == converted) convert_bias(g, bias, converted);
  const char* workspace = static_cast<const char*>(payload->workspace->data());

  run_chunks(chunks, [&](int c) {
    BackwardPlan& plan = *plans[c];
    const int64_t r = chunk_begin(g.n, chunks, c), u = g.u;
    // oneDNN accumulates weight and bias gradients.
    std::memset(plan.dwl.get_data_handle(), 0, plan.dwl.get_desc().get_size());
    std::memset(plan.dwi.get_data_handle(), 0, plan.dwi.get_desc().get_size());
    std::fill(plan.dbias.begin(), plan.dbias.end(), 0.f);
    const void* zero = plan.zeros.data();
    const void* xs = rows(x, r, g.t * g.i);
    const void* hs = rows_or(h0, r, u, zero);
    const void* ys = rows(y, r, g.t * u);
    const void* hl = rows(h_last, r, u);
    const void* ws = workspace + payload->offsets[c];
    void* dxs = rows_out(dx, r, g.t * g.i);
    void* dhs = dh0 ? static_cast<void*>(rows_out(*dh0, r, u)) : plan.sink_h.data();
    const void* dys = rows(dy, r, g.t * u);
    const void* dhl = rows_or(dh_last, r, u, zero);
    if (g.lstm()) {
      const void* cs = rows_or(c0, r, u, zero);
      const void* cl = rows(*c_last, r, u);
      void* dcs = dc0 ? static_cast<void*>(rows_out(*dc0, r, u)) : plan.sink_c.data();
      const void* dcl = rows_or(dc_last, r, u, zero);
      plan.main.run(plan.stream, {xs, hs, cs, wl[c], wi[c], b, ys, hl, cl, ws, dxs, dhs, dcs,
                                  plan.dbias.data(), dys, dhl, dcl});
    } else {
      plan.main.run(plan.stream, {xs, hs, wl[c], wi[c], b, ys, hl, ws, dxs, dhs,
                                  plan.dbias.data(), dys, dhl});
    }
  });

  // The slices' weight gradients, back in Keras layout and summed.
  const auto to_keras = [](Exec& r, const dnnl::memory& from, float* to, size_t n) {
    if (r)
      r.run(stream(), {from.get_data_handle(), to});
    else
      std::memcpy(to, from.get_data_handle(), n * sizeof(float));
  };
  const auto nk = static_cast<size_t>(dkernel.shape.numel());
  const auto nr = static_cast<size_t>(drecurrent.shape.numel());
  for (int c = 0; c < chunks; ++c) {
    BackwardPlan& plan = *plans[c];
    float* dk = c == 0 ? dkernel.f() : plan.dkernel.data();
    float* dr = c == 0 ? drecurrent.f() : plan.drecurrent.data();
    to_keras(plan.dwl_reorder, plan.dwl, dk, nk);
    to_keras(plan.dwi_reorder, plan.dwi, dr, nr);
    if (c == 0) continue;
    for (size_t j = 0; j < nk; ++j) dkernel.f()[j] += dk[j];
    for (size_t j = 0; j < nr; ++j) drecurrent.f()[j] += dr[j];
    for (size_t j = 0; j < plan.dbias.size(); ++j) plans[0]->dbias[j] += plan.dbias[j];
  }
  if (dbias) {
    const float* db = plans[0]->dbias.data();
    if (g.lbr())
      lbr_bias_gradient(g, db, dbias->f());
    else
      std::copy(db, db + g.gb * g.u, dbias->f());
  }
}

size_t rnn_cached_primitive_count() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return g_primitives;
}

}  // namespace strata::onednn
