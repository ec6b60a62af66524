// Model::summary_string for Functional models (Keras 3's "Connected to" table, shared layers,
// nested models, expand_nested, show_trainable) and Model::to_dot (plot_model's Graphviz text:
// nodes, edges, label escaping, clusters for nested models).
#include <sstream>

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "strata/strata.hpp"

using namespace strata;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

size_t count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t p = s.find(part); p != std::string::npos; p = s.find(part, p + part.size())) ++n;
  return n;
}

// Two inputs through one shared Dense, concatenated, then a Dense head:
//   a, b (None, 4) -> shared (None, 3) twice -> cat (None, 6) -> out (None, 1)
std::unique_ptr<Model> two_inputs() {
  SymbolicTensor a = Input({4}, {.name = "a"});
  SymbolicTensor b = Input({4}, {.name = "b"});
  auto shared = std::make_shared<Dense>(DenseOptions{.units = 3, .name = "shared"});
  SymbolicTensor sa = (*shared)(a);
  SymbolicTensor sb = (*shared)(b);
  SymbolicTensor cat = Concatenate({.name = "cat"})({sa, sb});
  return std::make_unique<Model>(std::vector<SymbolicTensor>{a, b},
                                 Dense({.units = 1, .name = "out"})(cat), "two_in");
}

// x (None, 6) -> encoder [e_in -> code (None, 3)] -> head (None, 2), head frozen.
std::unique_ptr<Model> with_encoder() {
  SymbolicTensor e_in = Input({6}, {.name = "e_in"});
  auto encoder = std::make_shared<Model>(
      e_in, Dense({.units = 3, .activation = "relu", .name = "code"})(e_in), "encoder");
  SymbolicTensor x = Input({6}, {.name = "x"});
  SymbolicTensor y = (*encoder)(x);
  auto m = std::make_unique<Model>(x, Dense({.units = 2, .name = "head"})(y), "outer");
  m->get_layer("head")->set_trainable(false);
  return m;
}

// Checks the text is plausible DOT: braces balance outside quoted strings, every quoted string
// closes, and inside each record label the unescaped braces balance.
void expect_balanced_dot(const std::string& dot) {
  int depth = 0;
  bool in_string = false;
  int label_depth = 0;
  for (size_t i = 0; i < dot.size(); ++i) {
    const char c = dot[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // an escaped character
      } else if (c == '"') {
        in_string = false;
        EXPECT_EQ(label_depth, 0) << "unbalanced record label before offset " << i << "\n" << dot;
      } else if (c == '{') {
        ++label_depth;
      } else if (c == '}') {
        EXPECT_GT(label_depth--, 0) << dot;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      label_depth = 0;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      EXPECT_GT(depth--, 0) << dot;
    }
  }
  EXPECT_FALSE(in_string) << dot;
  EXPECT_EQ(depth, 0) << dot;
}

}  // namespace

TEST(Summary, FunctionalTableLooksLikeKeras3) {
  auto m = two_inputs();
  const std::string expected =
      "Model: \"two_in\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                 ┃ Output Shape              ┃          Param # ┃ Connected to               ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
      "│ a (InputLayer)               │ (None, 4)                 │                0 │ -                          │\n"
      "├──────────────────────────────┼───────────────────────────┼──────────────────┼────────────────────────────┤\n"
      "│ b (InputLayer)               │ (None, 4)                 │                0 │ -                          │\n"
      "├──────────────────────────────┼───────────────────────────┼──────────────────┼────────────────────────────┤\n"
      "│ shared (Dense)               │ (None, 3)                 │               15 │ a[0][0],                   │\n"
      "│                              │                           │                  │ b[0][0]                    │\n"
      "├──────────────────────────────┼───────────────────────────┼──────────────────┼────────────────────────────┤\n"
      "│ cat (Concatenate)            │ (None, 6)                 │                0 │ shared[0][0],              │\n"
      "│                              │                           │                  │ shared[1][0]               │\n"
      "├──────────────────────────────┼───────────────────────────┼──────────────────┼────────────────────────────┤\n"
      "│ out (Dense)                  │ (None, 1)                 │                7 │ cat[0][0]                  │\n"
      "└──────────────────────────────┴───────────────────────────┴──────────────────┴────────────────────────────┘\n"
      " Total params: 22 (88.00 B)\n"
      " Trainable params: 22 (88.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(m->summary_string(), expected) << m->summary_string();
}

TEST(Summary, ColumnsWidenForLongNames) {
  const std::string long_name(40, 'x');
  SymbolicTensor in = Input({3}, {.name = long_name});
  Model m(in, Dense({.units = 2, .name = "d"})(in), "wide");
  const std::string s = m.summary_string();
  EXPECT_TRUE(has(s, "│ " + long_name + " (InputLayer) │")) << s;
  EXPECT_TRUE(has(s, "│ " + long_name + "[0][0] │")) << s;
  EXPECT_FALSE(has(s, "…")) << s;
  // Every line of the table has the same display width.
  size_t width = 0;
  std::istringstream lines(s);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || (line.rfind("┏", 0) != 0 && line.rfind("┃", 0) != 0 &&
                         line.rfind("│", 0) != 0 && line.rfind("├", 0) != 0 &&
                         line.rfind("┡", 0) != 0 && line.rfind("└", 0) != 0))
      continue;
    size_t cols = 0;
    for (unsigned char c : line) cols += (c & 0xC0) != 0x80;
    if (width == 0) width = cols;
    EXPECT_EQ(cols, width) << line;
  }
}

TEST(Summary, NestedModelIsOneRowUnlessExpanded) {
  auto m = with_encoder();
  const std::string s = m->summary_string();
  EXPECT_TRUE(has(s, "Model: \"outer\"")) << s;
  EXPECT_TRUE(has(s, "│ encoder (Functional) ")) << s;
  EXPECT_TRUE(has(s, "│ x[0][0] ")) << s;        // encoder's input
  EXPECT_TRUE(has(s, "│ encoder[0][0] ")) << s;  // head's input
  EXPECT_FALSE(has(s, "code (Dense)")) << s;
  EXPECT_FALSE(has(s, "┃ Trainable")) << s;
  // encoder 6*3+3 = 21 (trainable), head 3*2+2 = 8 (frozen).
  EXPECT_TRUE(has(s, " Total params: 29 (116.00 B)\n")) << s;
  EXPECT_TRUE(has(s, " Trainable params: 21 (84.00 B)\n")) << s;
  EXPECT_TRUE(has(s, " Non-trainable params: 8 (32.00 B)\n")) << s;

  const std::string e = m->summary_string({.expand_nested = true});
  // Keras 3 prefixes each nested level with "   └ "; the inner rows list the inner connections.
  const size_t enc = e.find("│ encoder (Functional) ");
  const size_t e_in = e.find("│    └ e_in (InputLayer) ");
  const size_t code = e.find("│    └ code (Dense) ");
  const size_t head = e.find("│ head (Dense) ");
  ASSERT_NE(enc, std::string::npos) << e;
  ASSERT_NE(e_in, std::string::npos) << e;
  ASSERT_NE(code, std::string::npos) << e;
  ASSERT_NE(head, std::string::npos) << e;
  EXPECT_LT(enc, e_in);
  EXPECT_LT(e_in, code);
  EXPECT_LT(code, head);
  EXPECT_TRUE(has(e.substr(code, head - code), "│ e_in[0][0] ")) << e;
  EXPECT_EQ(count(e, "├"), count(s, "├") + 2) << e;  // two more rows
  EXPECT_TRUE(has(e, " Total params: 29 (116.00 B)\n")) << e;
}

TEST(Summary, ShowTrainableAddsAColumn) {
  auto m = with_encoder();
  const std::string s = m->summary_string({.show_trainable = true});
  EXPECT_TRUE(has(s, "┃ Connected to ")) << s;
  EXPECT_TRUE(has(s, " ┃ Trainable ┃\n")) << s;
  // Y for trainable weights, N for frozen ones, - for a layer without weights (as Keras 3).
  auto trainable_cell = [&](const std::string& row_start) {
    const size_t p = s.find(row_start);
    EXPECT_NE(p, std::string::npos) << row_start << "\n" << s;
    const std::string line = s.substr(p, s.find('\n', p) - p);
    const size_t last = line.rfind("│", line.size() - 4);
    return line.substr(last + std::string("│").size());
  };
  EXPECT_EQ(trainable_cell("│ x (InputLayer)"), "     -     │");
  EXPECT_EQ(trainable_cell("│ encoder (Functional)"), "     Y     │");
  EXPECT_EQ(trainable_cell("│ head (Dense)"), "     N     │");

  const std::string both = m->summary_string({.expand_nested = true, .show_trainable = true});
  EXPECT_TRUE(has(both, "└ code (Dense)")) << both;
  EXPECT_EQ(count(both, "┃ Trainable ┃"), 1u) << both;
}

TEST(Summary, SharedNestedModelListsEveryCall) {
  SymbolicTensor e_in = Input({6}, {.name = "tower_in"});
  auto tower = std::make_shared<Model>(e_in, Dense({.units = 3, .name = "tower_out"})(e_in), "tower");
  SymbolicTensor l = Input({6}, {.name = "left"});
  SymbolicTensor r = Input({6}, {.name = "right"});
  SymbolicTensor d = Dot({.axes = {1}, .name = "sim"})({(*tower)(l), (*tower)(r)});
  Model siamese({l, r}, d, "siamese");
  const std::string s = siamese.summary_string();
  EXPECT_EQ(count(s, "tower (Functional)"), 1u) << s;
  EXPECT_TRUE(has(s, "│ left[0][0],  ")) << s;
  EXPECT_TRUE(has(s, "│ right[0][0]  ")) << s;
  EXPECT_TRUE(has(s, "│ tower[0][0],  ")) << s;
  EXPECT_TRUE(has(s, "│ tower[1][0]  ")) << s;
  EXPECT_TRUE(has(s, " Total params: 21 (84.00 B)\n")) << s;  // the tower counted once
}

TEST(Summary, SequentialKeepsItsThreeColumns) {
  Sequential m({Input({4}), Dense({.units = 2, .name = "d"})}, "seq");
  const std::string s = m.summary_string();
  EXPECT_FALSE(has(s, "Connected to")) << s;
  EXPECT_TRUE(has(s, "│ d (Dense)                             │ (None, 2)                    │              10 │\n")) << s;
  const std::string t = m.summary_string({.show_trainable = true});
  EXPECT_TRUE(has(t, "┃         Param # ┃ Trainable ┃\n")) << t;
  EXPECT_TRUE(has(t, "│              10 │     Y     │\n")) << t;

  Sequential unbuilt({Dense({.units = 2, .name = "u"})}, "lazy");
  const std::string u = unbuilt.summary_string();
  EXPECT_TRUE(has(u, "│ u (Dense) ")) << u;
  EXPECT_TRUE(has(u, "│ ? ")) << u;
  EXPECT_TRUE(has(u, "0 (unbuilt) │")) << u;
  EXPECT_TRUE(has(u, " Total params: 0 (0.00 B)\n")) << u;
}

TEST(ToDot, NodesAndEdgesOfAFunctionalModel) {
  auto m = two_inputs();
  const std::string dot = m->to_dot();
  expect_balanced_dot(dot);
  EXPECT_EQ(dot.rfind("digraph G {\n  rankdir=TB;\n  node [shape=record];\n", 0), 0u) << dot;
  EXPECT_TRUE(has(dot, "  a [label=\"{a: InputLayer|{input:|output:}|{(None, 4)|(None, 4)}}\"];\n")) << dot;
  EXPECT_TRUE(has(dot, "  shared [label=\"{shared: Dense|{input:|output:}|{(None, 4)|(None, 3)}}\"];\n")) << dot;
  EXPECT_TRUE(has(dot, "  cat [label=\"{cat: Concatenate|{input:|output:}|{[(None, 3), (None, 3)]|(None, 6)}}\"];\n")) << dot;
  EXPECT_TRUE(has(dot, "  out [label=\"{out: Dense|{input:|output:}|{(None, 6)|(None, 1)}}\"];\n")) << dot;
  EXPECT_EQ(count(dot, " [label="), 5u) << dot;
  EXPECT_TRUE(has(dot, "  a -> shared;\n")) << dot;
  EXPECT_TRUE(has(dot, "  b -> shared;\n")) << dot;
  EXPECT_EQ(count(dot, "  shared -> cat;\n"), 1u) << dot;  // two tensors, one edge (as plot_model)
  EXPECT_TRUE(has(dot, "  cat -> out;\n")) << dot;
  EXPECT_EQ(count(dot, " -> "), 4u) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
}

TEST(ToDot, OptionsChangeLabelsAndDirection) {
  auto m = two_inputs();
  const std::string plain = m->to_dot({.show_shapes = false});
  expect_balanced_dot(plain);
  EXPECT_TRUE(has(plain, "  cat [label=\"cat: Concatenate\"];\n")) << plain;
  EXPECT_FALSE(has(plain, "input:")) << plain;

  const std::string classes = m->to_dot({.show_layer_names = false, .rankdir = "LR"});
  expect_balanced_dot(classes);
  EXPECT_TRUE(has(classes, "  rankdir=LR;\n")) << classes;
  EXPECT_TRUE(has(classes, "  out [label=\"{Dense|{input:|output:}|{(None, 6)|(None, 1)}}\"];\n")) << classes;

  test::expect_value_error([&] { m->to_dot({.rankdir = "sideways"}); }, {"rankdir", "LR", "sideways"});
}

TEST(ToDot, EscapesNamesAndMakesIdsValid) {
  SymbolicTensor in = Input({4}, {.name = "in put"});
  SymbolicTensor h = Dense({.units = 3, .name = "a|b{c}<d>\"e\\"})(in);
  h = Dense({.units = 3, .name = "node"})(h);
  h = Dense({.units = 3, .name = "1st"})(h);
  h = Dense({.units = 3, .name = "x-y"})(h);
  h = Dense({.units = 3, .name = "x_y"})(h);
  Model m(in, h, "weird");
  const std::string dot = m.to_dot();
  expect_balanced_dot(dot);
  EXPECT_TRUE(has(dot, "  in_put [label=\"{in put: InputLayer|")) << dot;
  EXPECT_TRUE(has(dot,
                  "  a_b_c__d__e_ [label=\"{a\\|b\\{c\\}\\<d\\>\\\"e\\\\: Dense|{input:|output:}|"
                  "{(None, 4)|(None, 3)}}\"];\n"))
      << dot;
  EXPECT_TRUE(has(dot, "  _node [label=\"{node: Dense|")) << dot;  // a DOT keyword
  EXPECT_TRUE(has(dot, "  _1st [label=\"{1st: Dense|")) << dot;    // ids cannot start with a digit
  EXPECT_TRUE(has(dot, "  x_y [label=\"{x-y: Dense|")) << dot;
  EXPECT_TRUE(has(dot, "  x_y_2 [label=\"{x_y: Dense|")) << dot;  // unique ids
  EXPECT_TRUE(has(dot, "  in_put -> a_b_c__d__e_;\n  a_b_c__d__e_ -> _node;\n  _node -> _1st;\n"
                       "  _1st -> x_y;\n  x_y -> x_y_2;\n"))
      << dot;

  // A name ending in a backslash, without shapes: the label must still close.
  SymbolicTensor in2 = Input({2}, {.name = "back\\"});
  Model m2(in2, Dense({.units = 1, .name = "d2"})(in2), "slash");
  const std::string dot2 = m2.to_dot({.show_shapes = false});
  expect_balanced_dot(dot2);
  EXPECT_TRUE(has(dot2, "  back_ [label=\"back\\\\: InputLayer\"];\n")) << dot2;
}

TEST(ToDot, SequentialIsAChain) {
  Sequential with_input({Input({4}, {.name = "s_in"}), Dense({.units = 3, .name = "s1"}),
                         Dense({.units = 2, .name = "s2"})},
                        "chain");
  const std::string dot = with_input.to_dot();
  expect_balanced_dot(dot);
  EXPECT_TRUE(has(dot, "  s_in [label=\"{s_in: InputLayer|{input:|output:}|{(None, 4)|(None, 4)}}\"];\n")) << dot;
  EXPECT_TRUE(has(dot, "  s1 [label=\"{s1: Dense|{input:|output:}|{(None, 4)|(None, 3)}}\"];\n")) << dot;
  EXPECT_TRUE(has(dot, "  s_in -> s1;\n  s1 -> s2;\n")) << dot;
  EXPECT_EQ(count(dot, " -> "), 2u) << dot;

  Sequential no_input({Dense({.units = 3, .name = "t1"}), Dense({.units = 2, .name = "t2"}),
                       Dense({.units = 1, .name = "t3"})},
                      "lazy_chain");
  const std::string lazy = no_input.to_dot();
  expect_balanced_dot(lazy);
  EXPECT_TRUE(has(lazy, "  t1 [label=\"{t1: Dense|{input:|output:}|{?|?}}\"];\n")) << lazy;
  EXPECT_TRUE(has(lazy, "  t1 -> t2;\n  t2 -> t3;\n")) << lazy;
  no_input.build(Shape{-1, 5});
  EXPECT_TRUE(has(no_input.to_dot(), "  t2 [label=\"{t2: Dense|{input:|output:}|{(None, 3)|(None, 2)}}\"];\n"))
      << no_input.to_dot();
}

TEST(ToDot, NestedModelsAsClusters) {
  auto m = with_encoder();
  const std::string flat = m->to_dot();
  expect_balanced_dot(flat);
  EXPECT_TRUE(has(flat, "  encoder [label=\"{encoder: Functional|{input:|output:}|{(None, 6)|(None, 3)}}\"];\n")) << flat;
  EXPECT_TRUE(has(flat, "  x -> encoder;\n  encoder -> head;\n")) << flat;
  EXPECT_FALSE(has(flat, "cluster")) << flat;
  EXPECT_FALSE(has(flat, "code:")) << flat;

  const std::string dot = m->to_dot({.expand_nested = true});
  expect_balanced_dot(dot);
  EXPECT_TRUE(has(dot,
                  "  subgraph cluster_encoder {\n"
                  "    label=\"encoder: Functional\";\n"
                  "    e_in [label=\"{e_in: InputLayer|{input:|output:}|{(None, 6)|(None, 6)}}\"];\n"
                  "    code [label=\"{code: Dense|{input:|output:}|{(None, 6)|(None, 3)}}\"];\n"
                  "    e_in -> code;\n"
                  "  }\n"))
      << dot;
  EXPECT_FALSE(has(dot, "  encoder [label")) << dot;
  EXPECT_TRUE(has(dot, "  x -> e_in;\n")) << dot;     // into the cluster's input
  EXPECT_TRUE(has(dot, "  code -> head;\n")) << dot;  // out of the layer giving its output
  EXPECT_EQ(count(dot, " -> "), 3u) << dot;

  // Two levels, and a nested Sequential without Input: edges reach its first and last layers.
  auto inner = std::make_shared<Sequential>(
      std::vector<LayerRef>{Dense({.units = 4, .name = "q1"}), Dense({.units = 2, .name = "q2"})},
      "inner_seq");
  SymbolicTensor mid_in = Input({6}, {.name = "mid_in"});
  auto mid = std::make_shared<Model>(mid_in, (*inner)(mid_in), "mid");
  SymbolicTensor top_in = Input({6}, {.name = "top_in"});
  Model top(top_in, Dense({.units = 1, .name = "top_out"})((*mid)(top_in)), "top");
  const std::string deep = top.to_dot({.expand_nested = true});
  expect_balanced_dot(deep);
  EXPECT_TRUE(has(deep, "  subgraph cluster_mid {\n")) << deep;
  EXPECT_TRUE(has(deep, "    subgraph cluster_inner_seq {\n      label=\"inner_seq: Sequential\";\n")) << deep;
  EXPECT_TRUE(has(deep, "      q1 -> q2;\n")) << deep;
  EXPECT_TRUE(has(deep, "    mid_in -> q1;\n")) << deep;
  EXPECT_TRUE(has(deep, "  top_in -> mid_in;\n")) << deep;
  EXPECT_TRUE(has(deep, "  q2 -> top_out;\n")) << deep;
  EXPECT_EQ(count(deep, " -> "), 4u) << deep;

  const std::string rows = top.summary_string({.expand_nested = true});
  EXPECT_TRUE(has(rows, "│    └ inner_seq (Sequential) ")) << rows;
  EXPECT_TRUE(has(rows, "│       └ q1 (Dense) ")) << rows;
}
