#include "proxy/scan_memo.hpp"

#include <cstring>

namespace proxy {

namespace {

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Whether `head` ends with `"items":[` as a member of the object it is in: the key preceded
/// by `{` or `,` (so its opening quote is not the end of another string), JSON whitespace
/// allowed between the tokens.
bool ends_with_items_key(std::string_view head)
{
    std::size_t i = head.size();
    auto skip_space = [&] {
        while (i > 0 && json_space(head[i - 1])) {
            --i;
        }
    };
    auto take = [&](std::string_view token) {
        if (i < token.size() || head.substr(i - token.size(), token.size()) != token) {
            return false;
        }
        i -= token.size();
        return true;
    };
    if (!take("[")) {
        return false;
    }
    skip_space();
    if (!take(":")) {
        return false;
    }
    skip_space();
    if (!take("\"items\"")) {
        return false;
    }
    skip_space();
    return i > 0 && (head[i - 1] == '{' || head[i - 1] == ',');
}

void shift(scanned_list& list, std::ptrdiff_t by)
{
    for (auto& item : list.items) {
        item.begin = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(item.begin) + by);
        item.end = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(item.end) + by);
        item.insert_at =
            static_cast<std::size_t>(static_cast<std::ptrdiff_t>(item.insert_at) + by);
    }
}

}  // namespace

scan_memo::scan_memo(scan_memo_options options) : options_(options) {}

std::size_t scan_memo::remembered_bytes() const
{
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::shared_ptr<const scan_memo::entry> scan_memo::find(const std::string& key)
{
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        return nullptr;
    }
    it->second.used = ++clock_;
    return it->second.value;
}

void scan_memo::remember(const std::string& key, std::string_view text, const scanned_list& list)
{
    if (list.items.empty()) {
        return;  // nothing worth skipping, and no item to find the array by
    }
    // The `[` of the items array is the last non-space byte before the first item (the text
    // is valid JSON, so it opens the array that item is in).
    std::size_t open = list.items.front().begin;
    while (open > 0 && json_space(text[open - 1])) {
        --open;
    }
    if (open == 0 || text[open - 1] != '[') {
        return;
    }
    // Items must be the root's last member: after the last item only `]`, `}` and spaces.
    std::size_t p = list.items.back().end;
    auto skip_space = [&] {
        while (p < text.size() && json_space(text[p])) {
            ++p;
        }
    };
    for (char expected : {']', '}'}) {
        skip_space();
        if (p == text.size() || text[p] != expected) {
            return;
        }
        ++p;
    }
    skip_space();
    if (p != text.size()) {
        return;
    }
    // Charged: the text, the item table and its strings, and the key (a list of tiny items
    // costs far more in its table than in its text).
    std::size_t cost = key.size() + sizeof(entry) + (text.size() - open) +
                       list.items.size() * sizeof(list_item) + list.continue_token.size();
    for (const auto& item : list.items) {
        cost += item.ns.capacity() + item.name.capacity();
    }
    if (cost > options_.max_bytes / 4) {
        return;
    }
    auto fresh = std::make_shared<entry>();
    fresh->tail.assign(text.substr(open));
    fresh->list = list;
    fresh->cost = cost;
    shift(fresh->list, -static_cast<std::ptrdiff_t>(open));

    std::lock_guard lock(mutex_);
    auto& slot = entries_[key];
    if (slot.value) {
        bytes_ -= slot.value->cost;
    }
    slot.value = std::move(fresh);
    slot.used = ++clock_;
    bytes_ += cost;
    while (entries_.size() > options_.max_entries || bytes_ > options_.max_bytes) {
        auto oldest = entries_.begin();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->second.used < oldest->second.used) {
                oldest = it;
            }
        }
        bytes_ -= oldest->second.value->cost;
        entries_.erase(oldest);
    }
}

std::optional<scanned_list> scan_memo::scan(const std::string& key, std::string_view text,
                                            const scan_options& options, scan_error& error,
                                            std::string& message)
{
    if (options_.max_bytes == 0) {
        return scan_list(text, options, error, message);
    }
    if (auto known = find(key); known && text.size() > known->tail.size() &&
                                known->list.items.size() <= options.max_items) {
        const std::size_t head_bytes = text.size() - known->tail.size();
        const auto head = text.substr(0, head_bytes);
        if (std::memcmp(text.data() + head_bytes, known->tail.data(), known->tail.size()) == 0 &&
            ends_with_items_key(head)) {
            std::string probe;
            probe.reserve(head_bytes + 2);
            probe.append(head).append("]}");
            scan_error probe_error = scan_error::none;
            std::string probe_message;
            auto head_scan = scan_list(probe, options, probe_error, probe_message);
            if (head_scan && head_scan->items.empty()) {
                scanned_list out = known->list;
                shift(out, static_cast<std::ptrdiff_t>(head_bytes));
                out.continue_token = std::move(head_scan->continue_token);
                hits_.fetch_add(1, std::memory_order_relaxed);
                error = scan_error::none;
                return out;
            }
        }
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    auto scanned = scan_list(text, options, error, message);
    if (scanned) {
        remember(key, text, *scanned);
    }
    return scanned;
}

}  // namespace proxy
