#include "renderer/script/script_test_util.h"

namespace fetch_later::renderer::testing {
namespace {

TEST_F(ScriptTest, Smoke) {
  EXPECT_EQ(Eval("1 + 1"), "2");
  EXPECT_EQ(Eval("typeof fetchLater"), "function");
  EXPECT_EQ(Eval("fetchLater()"),
            "threw TypeError: Failed to execute 'fetchLater': 1 argument "
            "required, but only 0 present.");
  EXPECT_EQ(Eval("fetchLater('/b').activated"), "false");
  EXPECT_EQ(Eval("fetchLater('http://a.test/')"),
            "threw TypeError: fetchLater: the URL must be potentially "
            "trustworthy: http://a.test/");
  EXPECT_EQ(Eval("new Headers([['a','b']]).get('a')"), "b");
  EXPECT_EQ(Eval("window === globalThis && window instanceof EventTarget"),
            "true");
  EXPECT_EQ(Eval("new DOMException('m', 'AbortError').code"), "20");
}

}  // namespace
}  // namespace fetch_later::renderer::testing
