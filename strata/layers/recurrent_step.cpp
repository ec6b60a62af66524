// The step-by-step path of the recurrent layers: Keras' cell formulas on ordinary
// differentiable ops, one time step at a time. It handles what the fused primitive cannot: masks,
// recurrent dropout and any activation.
#include "strata/autodiff/ops.hpp"
#include "strata/layers/activations.hpp"
#include "strata/layers/recurrent.hpp"

namespace strata {

namespace {

// Gate block k (U columns) of a (N, G·U) pre-activation.
Tensor gate(const Tensor& z, int k, int64_t units) {
  return ops::crop(z, Shape{z.dim(0), units}, {0, k * units});
}

Tensor activate(const std::string& name, const Tensor& x) {
  if (name == "tanh") return ops::tanh(x);
  if (name == "sigmoid") return ops::sigmoid(x);
  return activations::apply(name, x);
}

// prev + m ⊙ (next − prev) = m ⊙ next + (1 − m) ⊙ prev, with GRU's update gate as m.
Tensor blend(const Tensor& m, const Tensor& next, const Tensor& prev) {
  return ops::add(prev, ops::mul(m, ops::sub(next, prev)));
}

// Row i of `next` where rows[i] == i (the step is used), of `prev` where rows[i] == n + i (it is
// masked): a gather, as Keras' tf.where, so a masked step's values never reach the result — an
// arithmetic blend would turn NaN or inf computed from padding into NaN (0 · NaN).
Tensor select_rows(const Tensor& rows, const Tensor& next, const Tensor& prev) {
  return ops::embedding_lookup(ops::concat({next, prev}, 0), rows);
}

}  // namespace

std::vector<Tensor> Recurrent::run_steps(const Tensor& x, const std::vector<float>& mask,
                                         const std::vector<Tensor>& states, bool training) {
  const int64_t n = x.dim(0), steps = x.dim(1), units = o_.units;
  const int64_t gu = rnn_gates(cell_) * units;
  const std::string& act = o_.activation;
  const std::string& ract = o_.recurrent_activation;

  // x·K + b for every step in one product, time-major so that each step is one window.
  Tensor input_bias, recurrent_bias;
  if (bias_.defined()) {
    if (cell_ == RnnCell::gru_reset_after) {
      input_bias = ops::reshape(ops::crop(bias_, Shape{1, gu}, {0, 0}), Shape{gu});
      recurrent_bias = ops::reshape(ops::crop(bias_, Shape{1, gu}, {1, 0}), Shape{gu});
    } else {
      input_bias = bias_;
    }
  }
  const Tensor projected = ops::transpose(ops::linear(x, kernel_, input_bias), {1, 0, 2});

  // GRU(reset_after=False) multiplies the candidate's block by r ⊙ h, so it needs the z/r
  // columns and the h columns of the recurrent kernel apart.
  Tensor kernel_zr, kernel_h;
  if (cell_ == RnnCell::gru) {
    kernel_zr = ops::crop(recurrent_kernel_, Shape{units, 2 * units}, {0, 0});
    kernel_h = ops::crop(recurrent_kernel_, Shape{units, units}, {0, 2 * units});
  }
  Tensor rec_mask;
  if (training && o_.recurrent_dropout > 0.f)
    rec_mask = dropout_mask(Shape{n, units}, o_.recurrent_dropout);

  Tensor h = states[0];
  Tensor c = cell_ == RnnCell::lstm ? states[1] : Tensor();
  const Tensor zeros = Tensor::zeros(Shape{n, units});
  Tensor out = zeros;  // Keras starts the repeated output at zeros, not at the initial state
  std::vector<Tensor> sequence;
  std::vector<float> mt(static_cast<size_t>(n));
  std::vector<int64_t> picks(static_cast<size_t>(n));

  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = o_.go_backwards ? steps - 1 - s : s;
    Tensor m;  // rows to pick: i where used, n + i where masked
    bool skip = false;
    if (!mask.empty()) {
      bool all = true, none = true;
      for (int64_t i = 0; i < n; ++i) {
        mt[i] = mask[i * steps + t] != 0.f ? 1.f : 0.f;
        all = all && mt[i] == 1.f;
        none = none && mt[i] == 0.f;
      }
      // A step masked in every row changes nothing: skip its arithmetic altogether.
      skip = none;
      if (!all && !none) {
        for (int64_t i = 0; i < n; ++i) picks[i] = mt[i] == 1.f ? i : n + i;
        m = Tensor::from_vector(Shape{n}, picks);
      }
    }
    if (skip) {
      if (zero_output_for_mask) out = zeros;
      if (o_.return_sequences) sequence.push_back(out);
      continue;
    }

    const Tensor xt = ops::reshape(ops::crop(projected, Shape{1, n, gu}, {t, 0, 0}), Shape{n, gu});
    const Tensor hr = rec_mask.defined() ? ops::mul(h, rec_mask) : h;
    Tensor h_new, c_new;
    switch (cell_) {
      case RnnCell::simple:
        h_new = activate(act, ops::add(xt, ops::matmul(hr, recurrent_kernel_)));
        break;
      case RnnCell::lstm: {
        const Tensor z = ops::add(xt, ops::matmul(hr, recurrent_kernel_));
        const Tensor i = activate(ract, gate(z, 0, units));
        const Tensor f = activate(ract, gate(z, 1, units));
        const Tensor g = activate(act, gate(z, 2, units));
        const Tensor o = activate(ract, gate(z, 3, units));
        c_new = ops::add(ops::mul(f, c), ops::mul(i, g));
        h_new = ops::mul(o, activate(act, c_new));
        break;
      }
      case RnnCell::gru_reset_after: {
        const Tensor inner = ops::linear(hr, recurrent_kernel_, recurrent_bias);
        const Tensor z = activate(ract, ops::add(gate(xt, 0, units), gate(inner, 0, units)));
        const Tensor r = activate(ract, ops::add(gate(xt, 1, units), gate(inner, 1, units)));
        const Tensor hh = activate(act, ops::add(gate(xt, 2, units), ops::mul(r, gate(inner, 2, units))));
        h_new = blend(z, h, hh);  // z ⊙ h + (1 − z) ⊙ hh
        break;
      }
      case RnnCell::gru: {
        const Tensor inner = ops::matmul(hr, kernel_zr);
        const Tensor z = activate(ract, ops::add(gate(xt, 0, units), gate(inner, 0, units)));
        const Tensor r = activate(ract, ops::add(gate(xt, 1, units), gate(inner, 1, units)));
        const Tensor hh =
            activate(act, ops::add(gate(xt, 2, units), ops::matmul(ops::mul(r, hr), kernel_h)));
        h_new = blend(z, h, hh);
        break;
      }
    }

    if (m.defined()) {
      out = select_rows(m, h_new, zero_output_for_mask ? zeros : out);
      h = select_rows(m, h_new, h);
      if (c.defined()) c = select_rows(m, c_new, c);
    } else {
      out = h_new;
      h = h_new;
      c = c_new;
    }
    if (o_.return_sequences) sequence.push_back(out);
  }

  std::vector<Tensor> result;
  if (o_.return_sequences) {
    for (auto& y : sequence) y = ops::reshape(y, Shape{n, 1, units});
    result.push_back(ops::concat(sequence, 1));
  } else {
    result.push_back(out);
  }
  result.push_back(h);
  if (c.defined()) result.push_back(c);
  return result;
}

}  // namespace strata
