// Tests for DOM's AbortController and AbortSignal (renderer/abort_signal.h).
// A Request's own (dependent) signal is tested in request_test.cc.

#include "renderer/abort_signal.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {
namespace {

TEST(AbortSignalTest, DefaultReasonAndAlgorithmOrder) {
  AbortController controller;
  std::vector<int> order;
  controller.signal()->AddAlgorithm([&] { order.push_back(1); });
  controller.signal()->AddAlgorithm([&] { order.push_back(2); });
  EXPECT_FALSE(controller.signal()->aborted());
  EXPECT_EQ(controller.signal()->reason(), std::nullopt);
  controller.Abort();
  EXPECT_TRUE(controller.signal()->aborted());
  ASSERT_TRUE(controller.signal()->reason().has_value());
  EXPECT_EQ(controller.signal()->reason()->type, JsErrorType::kAbortError);
  EXPECT_EQ(controller.signal()->reason()->name(), "AbortError");
  EXPECT_TRUE(controller.signal()->reason()->is_dom_exception());
  EXPECT_EQ(controller.signal()->reason()->message,
            "signal is aborted without reason");
  EXPECT_EQ(order, std::vector<int>({1, 2}));
  // A second abort and a late algorithm do nothing.
  controller.Abort(MakeTypeError("late"));
  controller.signal()->AddAlgorithm([&] { order.push_back(3); });
  EXPECT_EQ(order, std::vector<int>({1, 2}));
  EXPECT_EQ(controller.signal()->reason()->type, JsErrorType::kAbortError);
}

// DOM: "create a dependent abort signal" step 2: a source that is already
// aborted gives an aborted signal with its reason.
TEST(AbortSignalTest, DependentOfAnAbortedSourceIsAborted) {
  AbortController controller;
  controller.Abort(MakeRangeError("why"));
  std::shared_ptr<AbortSignal> dependent =
      AbortSignal::CreateDependent({controller.signal()});
  EXPECT_TRUE(dependent->aborted());
  EXPECT_EQ(*dependent->reason(), MakeRangeError("why"));
}

// DOM: "create a dependent abort signal" steps 3-4: a dependent signal's
// sources are the non-dependent ones, so a dependent of a dependent follows
// the original source directly, and any source aborts it.
TEST(AbortSignalTest, DependentSignalsFollowEverySource) {
  AbortController first;
  AbortController second;
  std::shared_ptr<AbortSignal> both =
      AbortSignal::CreateDependent({first.signal(), second.signal()});
  std::shared_ptr<AbortSignal> of_both = AbortSignal::CreateDependent({both});
  std::vector<std::string> order;
  both->AddAlgorithm([&] { order.push_back("both"); });
  of_both->AddAlgorithm([&] { order.push_back("of_both"); });
  EXPECT_FALSE(of_both->aborted());
  second.Abort(MakeTypeError("second"));
  EXPECT_TRUE(both->aborted());
  EXPECT_TRUE(of_both->aborted());
  EXPECT_EQ(*of_both->reason(), MakeTypeError("second"));
  EXPECT_EQ(order, std::vector<std::string>({"both", "of_both"}));
  // The other source aborting later changes nothing.
  first.Abort();
  EXPECT_EQ(*both->reason(), MakeTypeError("second"));
  EXPECT_EQ(order.size(), 2u);
}

}  // namespace
}  // namespace fetch_later::renderer
