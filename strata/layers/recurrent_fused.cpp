// The fused path of the recurrent layers: the whole sequence in one backend RNN primitive
// (ops::rnn), used when the layer's formula is exactly what the primitive computes.
#include "strata/autodiff/ops.hpp"
#include "strata/layers/recurrent.hpp"

namespace strata {

namespace {

EltwiseAlg simple_activation(const std::string& name) {
  if (name == "relu") return EltwiseAlg::relu;
  if (name == "sigmoid") return EltwiseAlg::logistic;
  return EltwiseAlg::tanh;
}

// y reversed along time (axis 1), differentiably: a row gather whose gradient scatters back.
Tensor reverse_time(const Tensor& y) {
  const int64_t n = y.dim(0), steps = y.dim(1), units = y.dim(2);
  std::vector<int64_t> rows(static_cast<size_t>(n * steps));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < steps; ++t) rows[i * steps + t] = i * steps + (steps - 1 - t);
  const Tensor index = Tensor::from_vector(Shape{n * steps}, rows);
  return ops::reshape(ops::embedding_lookup(ops::reshape(y, Shape{n * steps, units}), index),
                      Shape{n, steps, units});
}

}  // namespace

RnnParams Recurrent::fused_params() const {
  RnnParams p;
  p.cell = cell_;
  p.activation = cell_ == RnnCell::simple ? simple_activation(o_.activation) : EltwiseAlg::tanh;
  p.reverse = o_.go_backwards;
  return p;
}

std::vector<Tensor> Recurrent::run_fused(const Tensor& x, const std::vector<Tensor>& states) {
  const RnnParams p = fused_params();
  const Tensor c0 = cell_ == RnnCell::lstm ? states[1] : Tensor();
  ops::RnnOutputs r = ops::rnn(p, x, states[0], c0, kernel_, recurrent_kernel_, bias_);
  std::vector<Tensor> out;
  if (!o_.return_sequences) {
    // The last processed step's output is the final h (no mask on this path).
    out.push_back(r.h);
  } else {
    // Keras lists a go_backwards sequence in processing order; the primitive keeps input order.
    out.push_back(o_.go_backwards ? reverse_time(r.sequence) : r.sequence);
  }
  out.push_back(r.h);
  if (r.c.defined()) out.push_back(r.c);
  return out;
}

}  // namespace strata
