#include <gtest/gtest.h>

#include "strata/autodiff/tensor.hpp"
#include "strata/core/error.hpp"

using namespace strata;

TEST(Tensor, RoundTripsHostData) {
  Tensor t = Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3, 4});
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.dtype(), DType::float32);
  EXPECT_EQ(t.device(), default_backend().device());
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 2, 3, 4}));
  Tensor l = Tensor::from_vector({3}, std::vector<int64_t>{7, 8, 9});
  EXPECT_EQ(l.to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(l.to_vector<float>(), (std::vector<float>{7, 8, 9}));
  EXPECT_THROW(t.to_vector<int32_t>(), ValueError);
}

TEST(Tensor, RejectsWrongValueCount) {
  EXPECT_THROW(Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3}), ValueError);
}

TEST(Tensor, FullZerosOnesItem) {
  EXPECT_EQ(Tensor::full({3}, 2.5).to_vector(), (std::vector<float>{2.5f, 2.5f, 2.5f}));
  EXPECT_EQ(Tensor::zeros({2}, DType::int32).to_vector<int32_t>(), (std::vector<int32_t>{0, 0}));
  EXPECT_FLOAT_EQ(Tensor::scalar(4.f).item(), 4.f);
  EXPECT_THROW(Tensor::ones({2}).item(), ValueError);
}

TEST(Tensor, SliceRowsSharesMemory) {
  Tensor t = Tensor::from_vector({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor s = t.slice_rows(1, 3);
  EXPECT_EQ(s.shape(), (Shape{2, 2}));
  EXPECT_EQ(s.to_vector(), (std::vector<float>{3, 4, 5, 6}));
  s.copy_(Tensor::zeros({2, 2}));
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 2, 0, 0, 0, 0}));
  EXPECT_THROW(t.slice_rows(2, 4), ValueError);
}

TEST(Tensor, CloneIsIndependent) {
  Tensor t = Tensor::ones({2});
  Tensor c = t.clone();
  c.copy_(Tensor::zeros({2}));
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 1}));
  EXPECT_THROW(c.copy_(Tensor::zeros({3})), ValueError);
}

TEST(Shape, PrintsLikeKeras) {
  EXPECT_EQ((Shape{-1, 64}).str(), "(None, 64)");
  EXPECT_EQ((Shape{5}).str(), "(5,)");
  EXPECT_EQ((Shape{2, 3}).dim(-1), 3);
  EXPECT_THROW((Shape{2, 3}).dim(2), std::out_of_range);
}
