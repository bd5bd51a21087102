#include "broker/server/router.hpp"

#include "broker/server/url.hpp"

#include <stdexcept>

namespace broker::server {

namespace {

std::string join_segments(const std::vector<std::string>& segs, std::size_t from)
{
    std::string out;
    for (std::size_t i = from; i < segs.size(); ++i) {
        if (i > from) {
            out.push_back('/');
        }
        out += segs[i];
    }
    return out;
}

bool method_matches(std::string_view route_method, std::string_view method)
{
    return route_method == "*" || route_method == method ||
           (method == "HEAD" && route_method == "GET");
}

} // namespace

router& router::add(std::string method, std::string pattern, handler fn)
{
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + pattern);
    }
    route r;
    r.method = std::move(method);
    r.fn = std::move(fn);
    bool has_params = false;
    std::size_t pos = 1;
    while (pos <= pattern.size()) {
        auto next = pattern.find('/', pos);
        if (next == std::string::npos) {
            next = pattern.size();
        }
        std::string seg = pattern.substr(pos, next - pos);
        pos = next + 1;
        if (seg.empty()) {
            continue;
        }
        segment s;
        if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
            std::string name = seg.substr(1, seg.size() - 2);
            has_params = true;
            if (name.size() > 3 && name.compare(name.size() - 3, 3, "...") == 0) {
                s.type = segment::kind::rest;
                s.text = name.substr(0, name.size() - 3);
            } else {
                s.type = segment::kind::param;
                s.text = std::move(name);
            }
            if (s.text.empty()) {
                throw std::invalid_argument("empty parameter name in route pattern: " + pattern);
            }
        } else if (seg.find_first_of("{}") != std::string::npos) {
            throw std::invalid_argument("braces must enclose a whole segment: " + pattern);
        } else {
            s.text = std::move(seg);
        }
        if (!r.segments.empty() && r.segments.back().type == segment::kind::rest) {
            throw std::invalid_argument("a {name...} catch-all must be the last segment: " +
                                        pattern);
        }
        r.segments.push_back(std::move(s));
    }
    r.pattern = std::move(pattern);
    if (!has_params) {
        std::vector<std::string> lits;
        for (const auto& s : r.segments) {
            lits.push_back(s.text);
        }
        exact_[join_segments(lits, 0)].push_back(routes_.size());
    }
    routes_.push_back(std::move(r));
    return *this;
}

bool router::match_route(const route& r, const std::vector<std::string>& segs, param_list& out)
{
    out.items.clear();
    std::size_t i = 0;
    for (const auto& s : r.segments) {
        if (s.type == segment::kind::rest) {
            out.items.emplace_back(s.text, join_segments(segs, i));
            return true;
        }
        if (i >= segs.size()) {
            return false;
        }
        if (s.type == segment::kind::literal) {
            if (s.text != segs[i]) {
                return false;
            }
        } else {
            out.items.emplace_back(s.text, segs[i]);
        }
        ++i;
    }
    return i == segs.size();
}

route_match router::match(std::string_view method, const std::vector<std::string>& segments) const
{
    route_match result;
    std::vector<std::string> allowed;
    auto note_allowed = [&](const route& r) {
        for (const auto& a : allowed) {
            if (a == r.method) {
                return;
            }
        }
        allowed.push_back(r.method);
    };

    if (auto it = exact_.find(join_segments(segments, 0)); it != exact_.end()) {
        for (auto idx : it->second) {
            const auto& r = routes_[idx];
            if (method_matches(r.method, method)) {
                result.fn = &r.fn;
                result.pattern = r.pattern;
                return result;
            }
            note_allowed(r);
        }
    }
    param_list params;
    for (const auto& r : routes_) {
        bool is_exact = true;
        for (const auto& s : r.segments) {
            is_exact = is_exact && s.type == segment::kind::literal;
        }
        if (is_exact) {
            continue;
        }
        if (!match_route(r, segments, params)) {
            continue;
        }
        if (method_matches(r.method, method)) {
            result.fn = &r.fn;
            result.pattern = r.pattern;
            result.params = std::move(params);
            return result;
        }
        note_allowed(r);
    }
    if (allowed.empty()) {
        result.error = 404;
    } else {
        result.error = 405;
        for (const auto& a : allowed) {
            if (!result.allow.empty()) {
                result.allow += ", ";
            }
            result.allow += a;
        }
    }
    return result;
}

route_match router::match_path(std::string_view method, std::string_view path) const
{
    auto parsed = parse_target(path);
    if (!parsed) {
        route_match m;
        m.error = 404;
        return m;
    }
    return match(method, parsed->segments);
}

response router::miss_response(const route_match& m, std::string_view method, std::string_view path)
{
    if (m.error == 405) {
        auto r = error_response(405,
                                "the server does not allow this method on the requested resource",
                                "MethodNotAllowed");
        r.headers.emplace_back("Allow", m.allow);
        return r;
    }
    (void)method;
    (void)path;
    return error_response(404, "the server could not find the requested resource", "NotFound");
}

boost::asio::awaitable<response> router::dispatch(request_context& ctx) const
{
    auto m = match_path(ctx.method, ctx.path);
    if (!m.fn) {
        co_return miss_response(m, ctx.method, ctx.path);
    }
    ctx.route = m.pattern;
    ctx.path_params = std::move(m.params);
    co_return co_await (*m.fn)(ctx);
}

} // namespace broker::server
