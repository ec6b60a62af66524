// ops::rnn: a whole recurrent layer as one autodiff node. Nodes have a single output, so the op
// writes the sequence, the last state and (LSTM) the last cell state into one packed buffer
// [sequence | h | c] that carries the node; the three results are views of it, each with a tiny
// node that places its gradient at its offset. Whatever subset of the three a loss uses, the
// packed gradient holds exactly their contributions (zeros elsewhere), which is what the
// backend's backward expects as dy / dh_last / dc_last.
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

namespace {

std::string shape_or_none(const Tensor& t) { return t.defined() ? t.shape().str() : "none"; }

struct Sizes {
  int64_t n = 0, t = 0, i = 0, u = 0, g = 1;
};

Sizes check_rnn(const RnnParams& p, const Tensor& x, const Tensor& h0, const Tensor& c0,
                const Tensor& kernel, const Tensor& recurrent, const Tensor& bias) {
  const std::string all = "x " + shape_or_none(x) + ", kernel " + shape_or_none(kernel) +
                          ", recurrent " + shape_or_none(recurrent) + ", bias " +
                          shape_or_none(bias) + ", h0 " + shape_or_none(h0) + ", c0 " +
                          shape_or_none(c0);
  const std::string cell = std::string(rnn_cell_name(p.cell)) + " cell";
  const auto fail = [&](const std::string& what) {
    throw ValueError("rnn (" + cell + "): " + what + " (got " + all + ")");
  };
  require_float(x, "rnn");
  require_float(kernel, "rnn");
  require_float(recurrent, "rnn");
  if (x.rank() != 3) fail("expected x of shape (batch, time, features)");
  Sizes s;
  s.n = x.dim(0);
  s.t = x.dim(1);
  s.i = x.dim(2);
  s.g = rnn_gates(p.cell);
  if (s.t < 1)
    throw ValueError("rnn: sequence length 0 is not supported: x has shape " + x.shape().str() +
                     " (" + all + ")");
  if (recurrent.rank() != 2 || recurrent.dim(0) < 1)
    fail("expected recurrent of shape (units, " + std::to_string(s.g) + " * units)");
  s.u = recurrent.dim(0);
  if (recurrent.shape() != Shape{s.u, s.g * s.u})
    fail("expected recurrent of shape " + Shape{s.u, s.g * s.u}.str());
  if (kernel.shape() != Shape{s.i, s.g * s.u})
    fail("expected kernel of shape " + Shape{s.i, s.g * s.u}.str() + " (features, " +
         std::to_string(s.g) + " * units)");
  if (bias.defined()) {
    require_float(bias, "rnn");
    const Shape want = p.cell == RnnCell::gru_reset_after ? Shape{2, 3 * s.u} : Shape{s.g * s.u};
    if (bias.shape() != want) fail("expected bias of shape " + want.str());
  }
  const Shape state{s.n, s.u};
  if (h0.defined()) {
    require_float(h0, "rnn");
    if (h0.shape() != state) fail("expected h0 of shape " + state.str());
  }
  if (c0.defined()) {
    if (p.cell != RnnCell::lstm) fail("c0 is only used by lstm cells");
    require_float(c0, "rnn");
    if (c0.shape() != state) fail("expected c0 of shape " + state.str());
  }
  if (p.cell == RnnCell::simple && p.activation != EltwiseAlg::tanh &&
      p.activation != EltwiseAlg::relu && p.activation != EltwiseAlg::logistic)
    fail("the simple cell supports the tanh, relu and sigmoid activations only");
  return s;
}

// A stable identity for a tensor: the same number for as long as the TensorImpl lives and never
// again afterwards (addresses are reused; the weak_ptr's control block is not). Lets
// RnnParams::weights_key tell a re-created weight from the one the backend cached.
uint64_t identity(const Tensor& t) {
  static std::mutex mutex;
  static auto* ids = new std::vector<std::pair<std::weak_ptr<TensorImpl>, uint64_t>>;
  static uint64_t next = 1;
  std::lock_guard lock(mutex);
  const std::shared_ptr<TensorImpl>& impl = t.impl();
  for (const auto& [w, id] : *ids)
    if (!w.owner_before(impl) && !impl.owner_before(w)) return id;
  std::erase_if(*ids, [](const auto& e) { return e.first.expired(); });
  constexpr size_t kMaxTracked = 256;
  if (ids->size() >= kMaxTracked) ids->erase(ids->begin());
  ids->emplace_back(impl, next);
  return next++;
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

uint64_t weights_key(const Tensor& kernel, const Tensor& recurrent, const Tensor& bias) {
  uint64_t h = 0x51ed270b27c1f0a3ull;
  for (const Tensor* t : {&kernel, &recurrent, &bias}) {
    if (!t->defined()) {
      h = mix(h, 0);
      continue;
    }
    h = mix(h, identity(*t));
    h = mix(h, t->version());
  }
  return h ? h : 1;
}

// A view of the packed buffer: `shape` elements from element `offset` on, sharing memory.
Tensor piece(const Tensor& packed, int64_t offset, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = DType::float32;
  impl->buffer = packed.impl()->buffer;
  impl->offset = packed.impl()->offset + static_cast<size_t>(offset) * sizeof(float);
  return Tensor(std::move(impl));
}

View sub_view(const Tensor& t, int64_t offset, const Shape& shape) {
  return View{t.fdata() + offset, shape, DType::float32};
}

View* opt(const Tensor& t, View& storage) {
  if (!t.defined()) return nullptr;
  storage = t.view();
  return &storage;
}

}  // namespace

RnnOutputs rnn(const RnnParams& params, const Tensor& x, const Tensor& h0, const Tensor& c0,
               const Tensor& kernel, const Tensor& recurrent, const Tensor& bias) {
  const Sizes s = check_rnn(params, x, h0, c0, kernel, recurrent, bias);
  const bool lstm = params.cell == RnnCell::lstm;
  const bool record = needs_grad({&x, &h0, &c0, &kernel, &recurrent, &bias});
  RnnParams p = params;
  p.weights_key = record ? 0 : weights_key(kernel, recurrent, bias);

  const Shape seq_shape{s.n, s.t, s.u}, state{s.n, s.u};
  const int64_t seq = s.n * s.t * s.u, st = s.n * s.u;
  const int64_t total = seq + st * (lstm ? 2 : 1);
  Backend& be = x.backend();
  Tensor packed = Tensor::empty(Shape{total}, DType::float32, be);

  View hv, cv, bv;
  const View y = sub_view(packed, 0, seq_shape), h_last = sub_view(packed, seq, state);
  const View c_last = lstm ? sub_view(packed, seq + st, state) : View{};
  PayloadPtr saved_state =
      be.rnn_forward(p, x.view(), opt(h0, hv), opt(c0, cv), kernel.view(), recurrent.view(),
                     opt(bias, bv), y, h_last, lstm ? &c_last : nullptr, record);

  RnnOutputs out;
  out.sequence = piece(packed, 0, seq_shape);
  out.h = piece(packed, seq, state);
  if (lstm) out.c = piece(packed, seq + st, state);
  if (!record) return out;

  const bool want_dh0 = h0.defined() && h0.requires_grad();
  const bool want_dc0 = c0.defined() && c0.requires_grad();
  const bool want_db = bias.defined() && bias.requires_grad();
  attach_node(
      packed, "rnn", {x, h0, c0, kernel, recurrent, bias},
      [p, saved_state, s, lstm, seq, st, want_dh0, want_dc0, want_db, xs = saved(x),
       h0s = h0.defined() ? saved(h0) : Tensor(), c0s = c0.defined() ? saved(c0) : Tensor(),
       ks = saved(kernel), rs = saved(recurrent), bs = bias.defined() ? saved(bias) : Tensor(),
       ps = saved(packed)](const Tensor& g) {
        Backend& b = g.backend();
        const Shape seq_shape{s.n, s.t, s.u}, state{s.n, s.u};
        std::vector<Tensor> grads(6);
        grads[0] = Tensor::empty(xs.shape(), DType::float32, b);
        if (want_dh0) grads[1] = Tensor::empty(state, DType::float32, b);
        if (want_dc0) grads[2] = Tensor::empty(state, DType::float32, b);
        grads[3] = Tensor::empty(ks.shape(), DType::float32, b);
        grads[4] = Tensor::empty(rs.shape(), DType::float32, b);
        if (want_db) grads[5] = Tensor::empty(bs.shape(), DType::float32, b);
        View hv2, cv2, bv2, dh0v, dc0v, dbv;
        const View y = sub_view(ps, 0, seq_shape), h_last = sub_view(ps, seq, state);
        const View c_last = lstm ? sub_view(ps, seq + st, state) : View{};
        const View dy = sub_view(g, 0, seq_shape), dh = sub_view(g, seq, state);
        const View dc = lstm ? sub_view(g, seq + st, state) : View{};
        b.rnn_backward(p, *saved_state, xs.view(), opt(h0s, hv2), opt(c0s, cv2), ks.view(),
                       rs.view(), opt(bs, bv2), y, h_last, lstm ? &c_last : nullptr, dy, &dh,
                       lstm ? &dc : nullptr, grads[0].view(), opt(grads[1], dh0v),
                       opt(grads[2], dc0v), grads[3].view(), grads[4].view(),
                       opt(grads[5], dbv));
        return grads;
      });

  // Each result's gradient lands at its own offset of the packed gradient.
  const auto link = [&](Tensor& view, int64_t offset) {
    attach_node(view, "rnn_output", {packed}, [offset, total](const Tensor& g) {
      Tensor d = Tensor::zeros(Shape{total}, DType::float32, g.backend());
      g.backend().copy(d.fdata() + offset, g.data(), g.nbytes());
      return std::vector<Tensor>{d};
    });
  };
  link(out.sequence, 0);
  link(out.h, seq);
  if (lstm) link(out.c, seq + st);
  return out;
}

}  // namespace strata::ops
