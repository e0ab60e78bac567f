// RecordSlotMap: ids are never reused, and never have the top bit that names
// a fetch() request at the network stage (FetchRecords::kRequestIdBit).
#include "browser/record_slot_map.h"

#include <memory>

#include "gtest/gtest.h"
#include "net/url.h"

namespace fetch_later::browser {
namespace {

constexpr uint64_t kTopBit = uint64_t{1} << 63;

std::unique_ptr<DeferredFetchRecord> NewRecord(DeferredFetchId id) {
  return std::make_unique<DeferredFetchRecord>(
      id, /*document=*/nullptr,
      DeferredRequest{"GET", *net::Url::Parse("https://a.test/")},
      /*total_request_length=*/15, /*reporting_origin=*/nullptr);
}

TEST(RecordSlotMapTest, FreedSlotsComeBackWithANewGeneration) {
  RecordSlotMap map;
  const DeferredFetchId first = map.NextId();
  map.Insert(NewRecord(first));
  EXPECT_NE(map.Find(first), nullptr);
  map.Erase(first);
  EXPECT_EQ(map.Find(first), nullptr);
  const DeferredFetchId second = map.NextId();
  EXPECT_NE(second, first);  // same slot, next generation
  EXPECT_EQ(second.value() & 0xffffffff, first.value() & 0xffffffff);
  map.Insert(NewRecord(second));
  EXPECT_EQ(map.size(), 1u);
}

TEST(RecordSlotMapTest, ASlotAtTheLastGenerationIsRetiredNotReused) {
  RecordSlotMap map;
  map.SetNextGenerationForTesting(RecordSlotMap::kMaxGeneration);
  const DeferredFetchId last = map.NextId();
  EXPECT_EQ(last.value() & kTopBit, 0u);
  map.Insert(NewRecord(last));
  map.Erase(last);
  // The slot is not handed out again: its next generation would set the top
  // bit.
  map.SetNextGenerationForTesting(0);
  const DeferredFetchId next = map.NextId();
  EXPECT_NE(next.value() & 0xffffffff, last.value() & 0xffffffff);
  EXPECT_EQ(next.value() & kTopBit, 0u);
  map.Insert(NewRecord(next));
  EXPECT_NE(map.Find(next), nullptr);
  EXPECT_EQ(map.Find(last), nullptr);
}

}  // namespace
}  // namespace fetch_later::browser
