// The fused path of the recurrent layers under a padding mask. When every row's valid steps form
// one block (right padding from pad_sequences / TextVectorization, left padding, both, or none),
// the layer equals the primitive run over each row's valid steps packed to the front: the state
// only changes at valid steps, and masked steps only repeat (or zero) the output. Gathers with
// ops::embedding_lookup move rows in and out, so gradients scatter back to where they came from
// and the backward costs O(T), where the step path's per-step crops cost O(T²).
#include <algorithm>

#include "strata/autodiff/ops.hpp"
#include "strata/layers/recurrent.hpp"

namespace strata {

namespace {

// Row i's valid steps in processing order: positions [first, first + len) of 0..T-1.
struct Block {
  int64_t first = 0, len = 0;
};

// One block per row, or empty when some row's valid steps have a gap (the step path's case).
std::vector<Block> valid_blocks(const std::vector<float>& mask, int64_t n, int64_t steps,
                                bool backwards) {
  std::vector<Block> blocks(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    Block& b = blocks[static_cast<size_t>(i)];
    bool ended = false;
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = backwards ? steps - 1 - s : s;
      const bool valid = mask[static_cast<size_t>(i * steps + t)] != 0.f;
      if (valid && ended) return {};
      if (valid) {
        if (b.len == 0) b.first = s;
        ++b.len;
      } else if (b.len > 0) {
        ended = true;
      }
    }
  }
  return blocks;
}

Tensor index_tensor(std::vector<int64_t> rows) {
  const int64_t size = static_cast<int64_t>(rows.size());
  return Tensor::from_vector(Shape{size}, rows);
}

}  // namespace

std::vector<Tensor> Recurrent::run_packed(const Tensor& x, const std::vector<float>& mask,
                                          const std::vector<Tensor>& states) {
  const int64_t n = x.dim(0), steps = x.dim(1), features = x.dim(2), units = o_.units;
  const bool back = o_.go_backwards;
  const std::vector<Block> blocks = valid_blocks(mask, n, steps, back);
  if (blocks.empty()) return {};
  int64_t longest = 0;
  for (const Block& b : blocks) longest = std::max(longest, b.len);

  // ops::rnn gives c only after the packed sequence's last step, which is row i's final c only
  // when row i runs all `longest` steps; a row with no valid step keeps c0 instead.
  const bool wants_c = cell_ == RnnCell::lstm && (o_.return_state || o_.stateful);
  if (wants_c)
    for (const Block& b : blocks)
      if (b.len != 0 && b.len != longest) return {};

  const auto input_step = [&](int64_t s) { return back ? steps - 1 - s : s; };
  const Shape out_shape = o_.return_sequences ? Shape{n, steps, units} : Shape{n, units};
  if (longest == 0) {
    // Every step masked: zeros out (the repeated output starts at zeros), the states untouched.
    std::vector<Tensor> out{Tensor::zeros(out_shape), states[0]};
    if (cell_ == RnnCell::lstm) out.push_back(states[1]);
    return out;
  }

  // The packed length: the longest block, rounded up to one of 8 sizes per sequence length,
  // since the backend keeps a primitive (and its scratch memory) for every (batch, steps) it
  // meets. LSTM's exact c needs the packed sequence to end where the full rows end.
  const int64_t granule = (steps + 7) / 8;
  const int64_t packed_len =
      wants_c ? longest : std::min(steps, (longest + granule - 1) / granule * granule);

  // Packed row (i, p) is input step input_step(first + p); steps past a row's block repeat its
  // block's last step (any row would do: their outputs are never read, so their gradient is 0).
  std::vector<int64_t> in_rows(static_cast<size_t>(n * packed_len));
  for (int64_t i = 0; i < n; ++i) {
    const Block& b = blocks[static_cast<size_t>(i)];
    for (int64_t p = 0; p < packed_len; ++p)
      in_rows[static_cast<size_t>(i * packed_len + p)] =
          i * steps + input_step(b.first + std::min(p, std::max<int64_t>(b.len - 1, 0)));
  }
  const Tensor packed = ops::reshape(
      ops::embedding_lookup(ops::reshape(x, Shape{n * steps, features}), index_tensor(in_rows)),
      Shape{n, packed_len, features});

  RnnParams p = fused_params();
  p.reverse = false;  // packed in processing order already
  const Tensor c0 = cell_ == RnnCell::lstm ? states[1] : Tensor();
  const ops::RnnOutputs r = ops::rnn(p, packed, states[0], c0, kernel_, recurrent_kernel_, bias_);

  // One table to gather every result from: the packed outputs, a zero row, then h0's rows.
  const int64_t zero_row = n * packed_len, h0_row = zero_row + 1;
  const Tensor table = ops::concat({ops::reshape(r.sequence, Shape{n * packed_len, units}),
                                    Tensor::zeros(Shape{1, units}), states[0]},
                                   0);
  // The output at processing position s: the packed output there inside the block, zeros before
  // it, and after it the block's last output repeated (or zeros with zero_output_for_mask).
  const auto output_row = [&](int64_t i, int64_t s) -> int64_t {
    const Block& b = blocks[static_cast<size_t>(i)];
    if (b.len == 0 || s < b.first) return zero_row;
    if (s < b.first + b.len) return i * packed_len + (s - b.first);
    return zero_output_for_mask ? zero_row : i * packed_len + b.len - 1;
  };
  std::vector<int64_t> out_rows, h_rows(static_cast<size_t>(n)), c_rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (o_.return_sequences)
      for (int64_t s = 0; s < steps; ++s) out_rows.push_back(output_row(i, s));
    else
      out_rows.push_back(output_row(i, steps - 1));
    const Block& b = blocks[static_cast<size_t>(i)];
    h_rows[static_cast<size_t>(i)] = b.len > 0 ? i * packed_len + b.len - 1 : h0_row + i;
    // From [c after the last packed step | c0]: a row without valid steps keeps its c0.
    c_rows[static_cast<size_t>(i)] = b.len > 0 ? i : n + i;
  }
  std::vector<Tensor> out{
      ops::reshape(ops::embedding_lookup(table, index_tensor(std::move(out_rows))), out_shape),
      ops::embedding_lookup(table, index_tensor(std::move(h_rows)))};
  if (wants_c)
    out.push_back(ops::embedding_lookup(ops::concat({r.c, c0}, 0), index_tensor(std::move(c_rows))));
  return out;
}

}  // namespace strata
