#include "strata/api/batching.hpp"

namespace strata {

Tensor take_rows(const Tensor& src, const std::vector<int64_t>& order, int64_t begin,
                 int64_t end) {
  bool contiguous = true;
  for (int64_t i = begin + 1; i < end && contiguous; ++i)
    contiguous = order[i] == order[i - 1] + 1;
  if (contiguous) return src.slice_rows(order[begin], order[begin] + (end - begin));
  Shape s = src.shape();
  s[0] = end - begin;
  Tensor out = Tensor::empty(s, src.dtype(), src.backend());
  const size_t row = src.nbytes() / static_cast<size_t>(src.dim(0));
  auto* dst = static_cast<char*>(out.data());
  const auto* from = static_cast<const char*>(src.data());
  for (int64_t i = begin; i < end; ++i)
    src.backend().copy(dst + static_cast<size_t>(i - begin) * row,
                       from + static_cast<size_t>(order[i]) * row, row);
  return out;
}

void put_rows(Tensor& dst, const Tensor& rows, int64_t begin) {
  const size_t row = dst.nbytes() / static_cast<size_t>(dst.dim(0));
  dst.backend().copy(static_cast<char*>(dst.data()) + static_cast<size_t>(begin) * row,
                     rows.data(), rows.nbytes());
}

}  // namespace strata
