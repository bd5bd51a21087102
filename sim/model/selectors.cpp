#include "sim/model/selectors.hpp"

#include "sim/model/names.hpp"
#include "sim/model/resource_registry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fedsim::model {

namespace {

enum class tok { ident, eq, deq, neq, lpar, rpar, comma, bang, in, notin, gt, lt, end };

struct token {
    tok kind = tok::end;
    std::string text;
};

bool special(char c) {
    return c == ',' || c == '(' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' ||
           std::isspace(static_cast<unsigned char>(c));
}

std::vector<token> lex(std::string_view s) {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c == ',') {
            out.push_back({tok::comma, ","});
            ++i;
            continue;
        }
        if (c == '(') {
            out.push_back({tok::lpar, "("});
            ++i;
            continue;
        }
        if (c == ')') {
            out.push_back({tok::rpar, ")"});
            ++i;
            continue;
        }
        if (c == '<') {
            out.push_back({tok::lt, "<"});
            ++i;
            continue;
        }
        if (c == '>') {
            out.push_back({tok::gt, ">"});
            ++i;
            continue;
        }
        if (c == '=') {
            if (i + 1 < s.size() && s[i + 1] == '=') {
                out.push_back({tok::deq, "=="});
                i += 2;
            } else {
                out.push_back({tok::eq, "="});
                ++i;
            }
            continue;
        }
        if (c == '!') {
            if (i + 1 < s.size() && s[i + 1] == '=') {
                out.push_back({tok::neq, "!="});
                i += 2;
            } else {
                out.push_back({tok::bang, "!"});
                ++i;
            }
            continue;
        }
        std::size_t j = i;
        while (j < s.size() && !special(s[j]))
            ++j;
        std::string word(s.substr(i, j - i));
        if (word == "in")
            out.push_back({tok::in, word});
        else if (word == "notin")
            out.push_back({tok::notin, word});
        else
            out.push_back({tok::ident, word});
        i = j;
    }
    out.push_back({tok::end, ""});
    return out;
}

api_error parse_error(const std::string& msg) {
    return bad_request("unable to parse requirement: " + msg);
}

std::string found(const token& t, std::string_view expected) {
    std::string what = t.kind == tok::end ? std::string("EOS") : "'" + t.text + "'";
    return "found " + what + ", expected: " + std::string(expected);
}

std::optional<api_error> check_key(const std::string& key) {
    std::string why = validate_qualified_name(key);
    if (!why.empty()) {
        return parse_error("<nil>: Invalid value: \"" + key + "\": " + why);
    }
    return std::nullopt;
}

std::optional<api_error> check_value(const std::string& value, std::size_t index) {
    std::string why = validate_label_value(value);
    if (!why.empty()) {
        return parse_error("values[" + std::to_string(index) + "][" + "]: Invalid value: \"" +
                           value + "\": " + why);
    }
    return std::nullopt;
}

}  // namespace

api_result<label_selector> label_selector::parse(std::string_view text) {
    label_selector sel;
    auto toks = lex(text);
    std::size_t p = 0;
    if (toks[p].kind == tok::end)
        return sel;
    while (true) {
        requirement r;
        if (toks[p].kind == tok::bang) {
            ++p;
            if (toks[p].kind != tok::ident)
                return bad_request(found(toks[p], "identifier after '!'"));
            r.key = toks[p++].text;
            r.operation = op::does_not_exist;
            if (auto e = check_key(r.key))
                return *e;
        } else {
            if (toks[p].kind != tok::ident)
                return bad_request(found(toks[p], "!, identifier"));
            r.key = toks[p++].text;
            if (auto e = check_key(r.key))
                return *e;
            switch (toks[p].kind) {
                case tok::end:
                case tok::comma:
                    r.operation = op::exists;
                    break;
                case tok::eq:
                case tok::deq:
                case tok::neq:
                case tok::gt:
                case tok::lt: {
                    tok o = toks[p++].kind;
                    r.operation = o == tok::neq ? op::not_equals : op::equals;
                    std::string v;
                    if (toks[p].kind == tok::ident)
                        v = toks[p++].text;
                    else if (toks[p].kind != tok::end && toks[p].kind != tok::comma)
                        return bad_request(found(toks[p], "identifier"));
                    if (o == tok::gt || o == tok::lt) {
                        // Gt/Lt compare integers; we keep them as equality-free filters below.
                        long long n = 0;
                        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                        if (ec != std::errc() || ptr != v.data() + v.size()) {
                            return parse_error(
                                "for 'Gt', 'Lt' operators, the value must be an "
                                "integer");
                        }
                        r.operation = op::exists;  // refined by the marker below
                        r.values = {std::string(o == tok::gt ? ">" : "<") + v};
                    } else {
                        if (auto e = check_value(v, 0))
                            return *e;
                        r.values = {v};
                    }
                    break;
                }
                case tok::in:
                case tok::notin: {
                    r.operation = toks[p].kind == tok::in ? op::in : op::not_in;
                    ++p;
                    if (toks[p].kind != tok::lpar)
                        return bad_request(found(toks[p], "'('"));
                    ++p;
                    // Values: identifiers separated by commas; empty entries mean "".
                    while (true) {
                        std::string v;
                        if (toks[p].kind == tok::ident)
                            v = toks[p++].text;
                        if (auto e = check_value(v, r.values.size()))
                            return *e;
                        r.values.push_back(v);
                        if (toks[p].kind == tok::comma) {
                            ++p;
                            continue;
                        }
                        if (toks[p].kind == tok::rpar) {
                            ++p;
                            break;
                        }
                        return bad_request(found(toks[p], "',' or ')'"));
                    }
                    std::sort(r.values.begin(), r.values.end());
                    r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
                    break;
                }
                default:
                    return bad_request(found(toks[p], "=, !=, ==, in, notin"));
            }
        }
        sel.requirements_.push_back(std::move(r));
        if (toks[p].kind == tok::end)
            break;
        if (toks[p].kind != tok::comma)
            return bad_request(found(toks[p], "','"));
        ++p;
    }
    return sel;
}

api_result<label_selector> label_selector::from_json(const nlohmann::json& selector) {
    label_selector sel;
    if (selector.is_null())
        return sel;
    if (!selector.is_object())
        return bad_request("labelSelector must be an object");
    if (auto it = selector.find("matchLabels"); it != selector.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) {
            requirement r{k, op::equals, {v.is_string() ? v.get<std::string>() : v.dump()}};
            sel.requirements_.push_back(std::move(r));
        }
    }
    if (auto it = selector.find("matchExpressions"); it != selector.end() && it->is_array()) {
        for (const auto& e : *it) {
            if (!e.is_object())
                continue;
            requirement r;
            r.key = e.value("key", "");
            std::string o = e.value("operator", "");
            if (o == "In")
                r.operation = op::in;
            else if (o == "NotIn")
                r.operation = op::not_in;
            else if (o == "Exists")
                r.operation = op::exists;
            else if (o == "DoesNotExist")
                r.operation = op::does_not_exist;
            else
                return bad_request("\"" + o + "\" is not a valid label selector operator");
            if (auto v = e.find("values"); v != e.end() && v->is_array()) {
                for (const auto& s : *v) {
                    if (s.is_string())
                        r.values.push_back(s.get<std::string>());
                }
            }
            sel.requirements_.push_back(std::move(r));
        }
    }
    return sel;
}

bool label_selector::matches(const nlohmann::json& labels) const {
    for (const auto& r : requirements_) {
        const std::string* value = nullptr;
        if (labels.is_object()) {
            auto it = labels.find(r.key);
            if (it != labels.end() && it->is_string())
                value = &it->get_ref<const std::string&>();
        }
        switch (r.operation) {
            case op::equals:
                if (!value || *value != r.values.front())
                    return false;
                break;
            case op::not_equals:
                if (value && *value == r.values.front())
                    return false;
                break;
            case op::in:
                if (!value || std::find(r.values.begin(), r.values.end(), *value) == r.values.end())
                    return false;
                break;
            case op::not_in:
                if (value && std::find(r.values.begin(), r.values.end(), *value) != r.values.end())
                    return false;
                break;
            case op::exists: {
                if (!value)
                    return false;
                if (!r.values.empty()) {  // Gt / Lt
                    const std::string& bound = r.values.front();
                    long long have = 0, want = 0;
                    auto [p1, e1] =
                        std::from_chars(value->data(), value->data() + value->size(), have);
                    std::from_chars(bound.data() + 1, bound.data() + bound.size(), want);
                    if (e1 != std::errc() || p1 != value->data() + value->size())
                        return false;
                    if (bound[0] == '>' ? !(have > want) : !(have < want))
                        return false;
                }
                break;
            }
            case op::does_not_exist:
                if (value)
                    return false;
                break;
        }
    }
    return true;
}

std::vector<std::string> supported_fields(const resource_info& r) {
    if (r.group.empty()) {
        if (r.plural == "pods") {
            return {"spec.nodeName",      "spec.restartPolicy",
                    "spec.schedulerName", "spec.serviceAccountName",
                    "spec.hostNetwork",   "status.phase",
                    "status.podIP",       "status.nominatedNodeName"};
        }
        if (r.plural == "events") {
            return {"involvedObject.kind",
                    "involvedObject.namespace",
                    "involvedObject.name",
                    "involvedObject.uid",
                    "involvedObject.apiVersion",
                    "involvedObject.resourceVersion",
                    "involvedObject.fieldPath",
                    "reason",
                    "reportingComponent",
                    "source",
                    "type"};
        }
        if (r.plural == "namespaces")
            return {"status.phase"};
        if (r.plural == "nodes")
            return {"spec.unschedulable"};
        if (r.plural == "secrets")
            return {"type"};
    }
    if (r.group == "batch" && r.plural == "jobs")
        return {"status.successful"};
    return {};
}

api_result<field_selector> field_selector::parse(std::string_view text,
                                                 const resource_info& resource) {
    field_selector sel;
    auto allowed = supported_fields(resource);
    std::size_t start = 0;
    while (start <= text.size()) {
        // Split on unescaped commas.
        std::size_t end = start;
        std::string term;
        while (end < text.size() && text[end] != ',') {
            if (text[end] == '\\' && end + 1 < text.size()) {
                term += text[end + 1];
                end += 2;
                continue;
            }
            term += text[end++];
        }
        // Trim.
        auto first = term.find_first_not_of(" \t");
        auto last = term.find_last_not_of(" \t");
        term = first == std::string::npos ? std::string() : term.substr(first, last - first + 1);
        if (!term.empty()) {
            requirement r;
            std::size_t pos;
            if ((pos = term.find("!=")) != std::string::npos) {
                r.field = term.substr(0, pos);
                r.negate = true;
                r.value = term.substr(pos + 2);
            } else if ((pos = term.find("==")) != std::string::npos) {
                r.field = term.substr(0, pos);
                r.value = term.substr(pos + 2);
            } else if ((pos = term.find('=')) != std::string::npos) {
                r.field = term.substr(0, pos);
                r.value = term.substr(pos + 1);
            } else {
                return bad_request("invalid selector: '" + std::string(text) +
                                   "'; can't understand '" + term + "'");
            }
            if (r.field != "metadata.name" && r.field != "metadata.namespace" &&
                std::find(allowed.begin(), allowed.end(), r.field) == allowed.end()) {
                if (resource.crd || !resource.group.empty()) {
                    return bad_request("\"" + r.field +
                                       "\" is not a known field selector: only "
                                       "\"metadata.name\", \"metadata.namespace\"");
                }
                return bad_request("field label not supported: " + r.field);
            }
            sel.requirements_.push_back(std::move(r));
        }
        if (end >= text.size())
            break;
        start = end + 1;
    }
    return sel;
}

namespace {

std::string field_value(const nlohmann::json& object, const std::string& field) {
    const nlohmann::json* cur = &object;
    std::string path = field == "source" ? "source.component" : field;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto dot = path.find('.', start);
        std::string part =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!cur->is_object())
            return "";
        auto it = cur->find(part);
        if (it == cur->end())
            return "";
        cur = &*it;
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    if (cur->is_string())
        return cur->get<std::string>();
    if (cur->is_boolean())
        return cur->get<bool>() ? "true" : "false";
    if (cur->is_number())
        return cur->dump();
    if (cur->is_null())
        return "";
    return cur->dump();
}

}  // namespace

bool field_selector::matches(const nlohmann::json& object) const {
    for (const auto& r : requirements_) {
        std::string have = field_value(object, r.field);
        if (r.field == "spec.hostNetwork" && have.empty())
            have = "false";
        if (r.field == "spec.unschedulable" && have.empty())
            have = "false";
        if ((have == r.value) == r.negate)
            return false;
    }
    return true;
}

}  // namespace fedsim::model
