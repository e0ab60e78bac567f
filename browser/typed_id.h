// Strongly typed integer identifiers, so a DocumentId can never be passed where
// a NavigableId is expected. Ids are never reused within one FrameTree.
#ifndef BROWSER_TYPED_ID_H_
#define BROWSER_TYPED_ID_H_

#include <cstdint>
#include <ostream>
#include <utility>

namespace fetch_later::browser {

template <typename Tag>
class TypedId {
 public:
  constexpr TypedId() = default;
  constexpr explicit TypedId(uint64_t value) : value_(value) {}

  constexpr uint64_t value() const { return value_; }
  constexpr bool is_null() const { return value_ == 0; }

  friend constexpr bool operator==(TypedId a, TypedId b) {
    return a.value_ == b.value_;
  }
  friend constexpr bool operator!=(TypedId a, TypedId b) {
    return a.value_ != b.value_;
  }
  friend constexpr bool operator<(TypedId a, TypedId b) {
    return a.value_ < b.value_;
  }
  template <typename H>
  friend H AbslHashValue(H h, TypedId id) {
    return H::combine(std::move(h), id.value_);
  }
  friend std::ostream& operator<<(std::ostream& os, TypedId id) {
    return os << id.value_;
  }

 private:
  uint64_t value_ = 0;
};

using NavigableId = TypedId<struct NavigableIdTag>;
using ContainerId = TypedId<struct ContainerIdTag>;
using DocumentId = TypedId<struct DocumentIdTag>;
using DeferredFetchId = TypedId<struct DeferredFetchIdTag>;
using NavigationId = TypedId<struct NavigationIdTag>;

}  // namespace fetch_later::browser

#endif  // BROWSER_TYPED_ID_H_
