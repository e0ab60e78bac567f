#include "browser/blocked_requests.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::browser {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

net::HttpsNetworkStage::BlockedRecord Record(uint64_t id, std::string url) {
  net::HttpsNetworkStage::BlockedRecord record;
  record.request_id = id;
  record.reason = net::BlockedReason::kRedirectNotHttps;
  record.url = std::move(url);
  record.message = "redirect to " + record.url + " is not https";
  record.at = absl::FromUnixSeconds(static_cast<int64_t>(id));
  return record;
}

std::vector<std::string> Urls(const std::vector<ipc::BlockedRequest>& list) {
  std::vector<std::string> urls;
  for (const ipc::BlockedRequest& r : list)
    urls.push_back(r.url());
  return urls;
}

// A bounded log like the stage's: the newest `bound` records, oldest first.
class FakeLog {
 public:
  explicit FakeLog(size_t bound) : bound_(bound) {}
  void Add(net::HttpsNetworkStage::BlockedRecord record) {
    records_.push_back(std::move(record));
    if (records_.size() > bound_)
      records_.erase(records_.begin());
  }
  std::vector<net::HttpsNetworkStage::BlockedRecord> Snapshot() const {
    return records_;
  }

 private:
  size_t bound_;
  std::vector<net::HttpsNetworkStage::BlockedRecord> records_;
};

TEST(BlockedRequestFeedTest, EachRecordIsTakenOnceOldestFirst) {
  FakeLog log(10);
  BlockedRequestFeed feed([&] { return log.Snapshot(); });
  EXPECT_THAT(feed.TakeNew(), IsEmpty());
  log.Add(Record(1, "http://a.test/1"));
  log.Add(Record(2, "http://a.test/2"));
  std::vector<ipc::BlockedRequest> first = feed.TakeNew();
  EXPECT_THAT(Urls(first), ElementsAre("http://a.test/1", "http://a.test/2"));
  EXPECT_EQ(first[0].reason(), "REDIRECT_NOT_HTTPS");
  EXPECT_EQ(first[0].request_id(), 1u);
  EXPECT_EQ(first[0].message(), "redirect to http://a.test/1 is not https");
  EXPECT_THAT(feed.TakeNew(), IsEmpty());
  log.Add(Record(3, "http://a.test/3"));
  EXPECT_THAT(Urls(feed.TakeNew()), ElementsAre("http://a.test/3"));
}

TEST(BlockedRequestFeedTest, TheLogDroppingOldRecordsLosesOnlyThose) {
  FakeLog log(3);
  BlockedRequestFeed feed([&] { return log.Snapshot(); });
  log.Add(Record(1, "http://a.test/1"));
  EXPECT_THAT(Urls(feed.TakeNew()), ElementsAre("http://a.test/1"));
  // Two new records: the log drops none of interest; the cursor is found.
  log.Add(Record(2, "http://a.test/2"));
  log.Add(Record(3, "http://a.test/3"));
  EXPECT_THAT(Urls(feed.TakeNew()),
              ElementsAre("http://a.test/2", "http://a.test/3"));
  // Four more than the bound allows: the cursor (3) is gone, every record
  // still held is new.
  for (uint64_t id = 4; id <= 7; ++id)
    log.Add(Record(id, "http://a.test/" + std::to_string(id)));
  EXPECT_THAT(
      Urls(feed.TakeNew()),
      ElementsAre("http://a.test/5", "http://a.test/6", "http://a.test/7"));
}

}  // namespace
}  // namespace fetch_later::browser
