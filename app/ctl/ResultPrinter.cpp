#include "ResultPrinter.h"

#include <algorithm>
#include <cstdio>

namespace sluicectl {

using sluice::store::ExecResult;
using sluice::store::Value;

namespace {

std::string csvField(const Value& v) {
    if (v.type == Value::Type::Null)
        return {};
    std::string s = v.toString();
    if (s.find_first_of(",\"\r\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
    return out;
}

std::string jsonValue(const Value& v) {
    switch (v.type) {
    case Value::Type::Null: return "null";
    case Value::Type::Integer: return std::to_string(v.i);
    case Value::Type::Real: return v.toString();
    default: return jsonString(v.s);
    }
}

size_t displayWidth(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80)
            ++n;
    return n;
}

} // namespace

void printResult(std::ostream& out, const ExecResult& r, OutputFormat format) {
    if (!r.hasResultSet)
        return;
    switch (format) {
    case OutputFormat::Csv: {
        for (size_t i = 0; i < r.columns.size(); ++i)
            out << (i ? "," : "") << csvField(Value{Value::Type::Text, 0, 0, r.columns[i]});
        out << '\n';
        for (auto& row : r.rows) {
            for (size_t i = 0; i < row.size(); ++i)
                out << (i ? "," : "") << csvField(row[i]);
            out << '\n';
        }
        break;
    }
    case OutputFormat::Json: {
        out << '[';
        for (size_t k = 0; k < r.rows.size(); ++k) {
            out << (k ? ",\n " : "") << '{';
            for (size_t i = 0; i < r.columns.size(); ++i)
                out << (i ? "," : "") << jsonString(r.columns[i]) << ':' << jsonValue(r.rows[k][i]);
            out << '}';
        }
        out << "]\n";
        break;
    }
    case OutputFormat::Table: {
        std::vector<size_t> w(r.columns.size());
        for (size_t i = 0; i < r.columns.size(); ++i)
            w[i] = displayWidth(r.columns[i]);
        for (auto& row : r.rows)
            for (size_t i = 0; i < row.size(); ++i)
                w[i] = std::min<size_t>(std::max(w[i], displayWidth(row[i].toString())), 60);
        auto line = [&] {
            out << '+';
            for (size_t x : w)
                out << std::string(x + 2, '-') << '+';
            out << '\n';
        };
        auto cells = [&](const std::vector<std::string>& c, const std::vector<bool>& right) {
            out << '|';
            for (size_t i = 0; i < c.size(); ++i) {
                std::string s = c[i];
                if (displayWidth(s) > w[i])
                    s = s.substr(0, w[i] - 1) + "~";
                std::string pad(w[i] - std::min(w[i], displayWidth(s)), ' ');
                out << ' ' << (right[i] ? pad + s : s + pad) << " |";
            }
            out << '\n';
        };
        line();
        cells(r.columns, std::vector<bool>(r.columns.size(), false));
        line();
        for (auto& row : r.rows) {
            std::vector<std::string> c;
            std::vector<bool> right;
            for (auto& v : row) {
                std::string s = v.toString();
                std::replace(s.begin(), s.end(), '\n', ' ');
                c.push_back(std::move(s));
                right.push_back(v.type == Value::Type::Integer || v.type == Value::Type::Real);
            }
            cells(c, right);
        }
        line();
        out << r.rows.size() << (r.rows.size() == 1 ? " row" : " rows") << (r.truncated ? " (truncated)" : "") << '\n';
        break;
    }
    }
}

} // namespace sluicectl
