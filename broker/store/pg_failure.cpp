#include "broker/store/pg_failure.hpp"

#include <pqxx/except>

#include <algorithm>
#include <string_view>

namespace broker::store {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

pg_failure lost(std::string detail) {
    return {make_error(store_errc::unavailable, "database unavailable", std::move(detail)), true,
            false};
}

}  // namespace

pg_failure classify_exception(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const pqxx::broken_connection& ex) {
        return lost(std::string("connection lost: ") + ex.what());
    } catch (const pqxx::in_doubt_error& ex) {
        // The commit may or may not have happened; the connection is unusable either way.
        return lost(std::string("commit in doubt: ") + ex.what());
    } catch (const pqxx::sql_error& ex) {
        const std::string& state = ex.sqlstate();
        std::string detail = "SQLSTATE " + state + ": " + ex.what();
        if (state == "57014") {
            return {make_error(store_errc::timeout, "database query timed out", std::move(detail)),
                    false, false};
        }
        // 08xxx connection exceptions; 57P01..57P03 admin shutdown / crash / cannot connect now.
        if (starts_with(state, "08") || starts_with(state, "57P")) {
            return lost(std::move(detail));
        }
        if (state == "40001" || state == "40P01") {
            return {
                make_error(store_errc::conflict, "concurrent update, try again", std::move(detail)),
                false, true};
        }
        if (state == "23505") {
            return {make_error(store_errc::conflict, "already exists", std::move(detail)), false,
                    false};
        }
        if (state == "55P03") {  // lock_not_available (lock_timeout)
            return {
                make_error(store_errc::timeout, "database lock wait timed out", std::move(detail)),
                false, false};
        }
        return {make_error(store_errc::internal, "database error", std::move(detail)), false,
                false};
    } catch (const pqxx::transaction_rollback& ex) {
        return {make_error(store_errc::conflict, "concurrent update, try again", ex.what()), false,
                true};
    } catch (const std::exception& ex) {
        return {make_error(store_errc::internal, "database error", ex.what()), false, false};
    } catch (...) {
        return {make_error(store_errc::internal, "database error", "unknown exception"), false,
                false};
    }
}

std::string with_connect_timeout(const std::string& database_url, std::chrono::milliseconds t) {
    if (database_url.find("connect_timeout") != std::string::npos) {
        return database_url;
    }
    const auto seconds = std::max<long long>(
        1, std::chrono::duration_cast<std::chrono::seconds>(t + std::chrono::milliseconds(999))
               .count());
    const std::string value = std::to_string(seconds);
    if (starts_with(database_url, "postgresql://") || starts_with(database_url, "postgres://")) {
        const char sep = database_url.find('?') == std::string::npos ? '?' : '&';
        return database_url + sep + "connect_timeout=" + value;
    }
    return database_url + (database_url.empty() ? "" : " ") + "connect_timeout=" + value;
}

}  // namespace broker::store
