@testable import Carrier
import CarrierYAML
import Testing

/// The mapping language on its own: templates compiled from YAML and rendered against values.
@Suite("Mapping language")
struct ExpressionTests {
    func render(_ yaml: String, _ values: [String: Value]) throws -> Value {
        let node = try #require(try YAMLParser.parse(yaml, file: "t.yaml"))
        let sink = DiagnosticSink()
        let template = MappingCompiler(file: "t.yaml", variables: Set(values.keys), sink: sink).compile(node)
        #expect(sink.diagnostics.isEmpty, "\(sink.diagnostics)")
        return try template.render(in: Scope(values: OrderedObject(values.map { ($0.key, $0.value) })))
    }

    @Test func typedWholeExpressionsAndStringInterpolation() throws {
        let v = try render(#"{list: "{{ xs }}", text: "n={{ xs | count }}", none: "{{ missing }}"}"#, ["xs": [1, 2], "missing": nil])
        #expect(v == .object(["list": [1, 2], "text": "n=2"]))
    }

    @Test("match: a pattern is compiled once and read many times, a long one too; a bad one fails every time")
    func matchPatterns() throws {
        let long = (0..<40).map { "word\($0)" }.joined(separator: "|")  // over 256 characters
        for (id, expected) in [("14c5d.dfd.filter0001", Value.string("14c5d.dfd")), ("9f1e.recvd-12", "9f1e"), ("plain", .null)] {
            let v = try render(#"{id: "{{ id | match('^(.+?)[.](filter|recvd)') }}", word: "{{ text | match('(\#(long))$') }}"}"#,
                               ["id": .string(id), "text": "the last is word37"])
            #expect(v["id"] == expected)
            #expect(v["word"] == "word37")
        }
        for _ in 0..<2 {
            #expect(throws: MappingError.self) { try render(#"{x: "{{ text | match('(unclosed') }}"}"#, ["text": "a"]) }
        }
    }

    @Test("Time filters refuse an instant outside the years 1 to 9999 (formatting it overflowed and trapped: a webhook's number reached them)")
    func timeFiltersOutOfRange() throws {
        for filter in ["rfc2822", "iso8601", "unix"] {
            #expect(throws: MappingError.self) { try render(#"{x: "{{ t | \#(filter) }}"}"#, ["t": .int(Int.max)]) }
            #expect(try render(#"{x: "{{ t | \#(filter) }}"}"#, ["t": 0])["x"] != .null)
        }
    }

    @Test("A template written straight into JSON gives the bytes of its rendered value written as JSON")
    func jsonWrittenAsRendered() throws {
        let values: [String: Value] = [
            "xs": [.object(["a": 1]), .object(["a": ""]), .object(["a": .null])], "none": nil, "empty": "", "list": [],
            "obj": .object(["k": "v \"quoted\"\n", "e": ""]), "flag": true, "n": .double(2.5), "scalar": "one",
            "meta": .object(["k": "1", "x": "2"]), "zero": 0,
        ]
        let templates = [
            #"{a: "{{ none }}", b: "{{ empty }}", c: "{{ list }}", d: {inner: "{{ none }}"}, e: [], f: x, g: "{{ zero }}"}"#,
            #"{items: {$each: "{{ xs }}", $as: x, $do: {v: "{{ x.a }}"}}, keep: "{{ flag }}"}"#,
            #"[first, {$each: "{{ xs }}", $as: x, $do: "{{ x.a }}"}, "{{ none }}", "{{ empty }}", {}, last]"#,
            #"[{$each: "{{ none }}", $do: x}, {$each: "{{ obj }}", $as: m, $do: "{{ m.key }}={{ m.value }}"}, {$each: "{{ scalar }}", $do: "{{ item }}"}]"#,
            #"{only: {$if: "{{ none }}", $then: yes}, other: {$if: "{{ flag }}", $then: {deep: {deeper: "{{ none }}"}}, $else: no}}"#,
            #"{a: one, $merge: ["{{ meta }}", {a: replaced}], z: "{{ n }}"}"#,
            #"{list: [{$if: "{{ flag }}", $then: {$each: "{{ xs }}", $as: x, $do: "{{ x.a }}"}}], obj: "{{ obj }}", n: "{{ n }}"}"#,
            #""text {{ scalar }} and {{ n }}""#, #""{{ none }}""#, #""{{ list }}""#, #"{all: "{{ none }}"}"#,
        ]
        for yaml in templates {
            let node = try #require(try YAMLParser.parse(yaml, file: "t.yaml"))
            let sink = DiagnosticSink()
            let template = MappingCompiler(file: "t.yaml", variables: Set(values.keys), sink: sink).compile(node)
            #expect(sink.diagnostics.isEmpty, "\(sink.diagnostics)")
            let scope = Scope(values: OrderedObject(values.map { ($0.key, $0.value) }))
            let out = ByteSink(capacity: 16)
            if try template.writeJSON(in: scope, into: out) == .null { out.append("null") }
            #expect(String(decoding: out.bytes, as: UTF8.self) == JSONWriter.string(try template.render(in: scope)), "\(yaml)")
        }
    }

    @Test("A message field is read from its slot, made once; a local of that name wins; a scope without the message finds it by name")
    func messageFieldSlots() throws {
        let message = try Message.parse(#"{"from": "a@example.com", "to": ["b@example.com", "c@example.com"], "subject": "Hi", "text": "t"}"#)
        #expect(message.fields.keys == Message.fieldOrder)
        let yaml = #"{s: "{{ subject }}", d: "{{ date }}", m: "{{ message.text }}", t: {$each: "{{ to }}", $as: subject, $do: "{{ subject.email }}"}}"#
        let node = try #require(try YAMLParser.parse(yaml, file: "t.yaml"))
        let sink = DiagnosticSink()
        let template = MappingCompiler(file: "t.yaml", variables: Set(Message.fieldOrder + ["message"]), sink: sink).compile(node)
        #expect(sink.diagnostics.isEmpty, "\(sink.diagnostics)")
        let expected: Value = .object(["s": "Hi", "m": "t", "t": ["b@example.com", "c@example.com"]])
        // A send's scope: the message's fields, `message` made from them when read.
        let fields = MessageFieldValues(message)
        var scope = Scope(values: OrderedObject(), fields: fields)
        scope.setLazy("message") { .object(fields.object) }
        #expect(try template.render(in: scope) == expected)
        #expect(fields.object == message.fields)
        // Written straight to JSON, the fields the message writes itself give the same bytes.
        let out = ByteSink(capacity: 64)
        _ = try template.writeJSON(in: scope, into: out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == JSONWriter.string(expected))
        // Without the message: the same names found among the plain values.
        var byName = message.fields
        byName["message"] = message.value
        #expect(try template.render(in: Scope(values: byName)) == expected)
    }

    @Test("Each message field the message writes as JSON itself is the JSON of its value, and says null, empty or a value as the value would")
    func messageFieldJSON() throws {
        let messages = [
            #"{"from": {"email": "a@example.com", "name": "Zoë \"Q\" \\ A"}, "to": ["b@example.com", {"email": "c@example.com", "name": "C"}],"#
                + #" "cc": ["d@example.com"], "bcc": ["e@example.com"], "reply_to": {"email": "r@example.com", "name": "R\\S/é"},"#
                + #" "subject": "Hi ✓ \"q\"", "text": "", "html": "<p>\"x\"</p>\n\t\u0001", "tags": ["a", "b\"c"], "send_at": 1700000000,"#
                + #" "message_id": "<m@example.com>", "date": 0}"#,
            #"{"from": "a@example.com", "to": ["b@example.com"], "template": {"id": "t-1"}}"#,
        ]
        for text in messages {
            let message = try Message.parse(text)
            let fields = MessageFieldValues(message)
            var written = 0
            for slot in Message.fieldOrder.indices {
                let out = ByteSink(capacity: 16)
                guard let verdict = fields.writeJSON(at: slot, into: out) else {
                    #expect(out.count == 0, "\(Message.fieldOrder[slot]) wrote bytes and then declined")
                    continue
                }
                written += 1
                let value = message.fieldValue(at: slot)
                let name = Message.fieldOrder[slot]
                switch verdict {
                case .null: #expect(value.isNull && out.count == 0, "\(name)")
                case .empty: #expect(!value.isNull && value.isEmpty, "\(name)")
                case .value: #expect(!value.isEmpty, "\(name)")
                }
                if verdict != .null { #expect(String(decoding: out.bytes, as: UTF8.self) == JSONWriter.string(value), "\(name)") }
            }
            #expect(written == 12)
        }
    }

    @Test func eachIfAndMerge() throws {
        let yaml = """
            items: {$each: "{{ xs }}", $as: x, $do: {v: "{{ x.a }}"}}
            maybe: {$if: "{{ flag }}", $then: yes-value, $else: no-value}
            $merge: ["{{ meta | prefix_keys('v:') }}"]
            """
        let v = try render(yaml, ["xs": [.object(["a": 1]), .object(["a": 2])], "flag": false, "meta": .object(["k": "1"])])
        #expect(v == .object(["items": [.object(["v": 1]), .object(["v": 2])], "maybe": "no-value", "v:k": "1"]))
    }

    @Test("Lists and objects written with literals only read as those written with variables: a key given twice keeps its first place and last value")
    func literalTables() throws {
        let values: [String: Value] = ["k": "b", "one": 1]
        #expect(try render(#""{{ k | lookup({a: 1, b: 2, b: 3}) }}""#, values) == 3)
        #expect(try render(#""{{ {a: 1, b: 2, a: 3} }}""#, values) == .object(["a": 3, "b": 2]))
        #expect(try render(#""{{ {a: one, b: 2, a: 3} }}""#, values) == .object(["a": 3, "b": 2]))
        #expect(try render(#""{{ [1, 'x', null, [true]] }}""#, values) == [1, "x", .null, [true]])
        #expect(try render(#""{{ [one, 'x'] }}""#, values) == [1, "x"])
        #expect(try render(#""{{ 'z' | lookup({a: 1}, [k]) }}""#, values) == ["b"])
    }

    @Test func operatorsAndFilters() throws {
        let values: [String: Value] = ["a": "eu", "n": 3, "tags": ["x", "y"], "o": .object(["email": "e@x.io", "name": "N, M"])]
        #expect(try render(#""{{ a == 'eu' ? 'api.eu' : 'api' }}""#, values) == "api.eu")
        #expect(try render(#""{{ n > 2 and 'x' in tags }}""#, values) == true)
        #expect(try render(#""{{ o | address }}""#, values) == #""N, M" <e@x.io>"#)
        #expect(try render(#""{{ {category: tags} | json }}""#, values) == #"{"category":["x","y"]}"#)
        #expect(try render(#""{{ nothing ?? 'fallback' }}""#, values.merging(["nothing": ""]) { a, _ in a }) == "fallback")
        #expect(try render(#""{{ 'Hello' | base64url }}""#, values) == "SGVsbG8=")
        #expect(try render(#""{{ 1457096767 | rfc2822 }}""#, values) == "Fri, 04 Mar 2016 13:06:07 +0000")
        #expect(try render(#""{{ o | rename({email: 'Email'}) }}""#, values) == .object(["Email": "e@x.io"]))
        #expect(try render(#""{{ {b: '2', a: '1'} | pairs('sorted') | join('') }}""#, values) == "a1b2")
        #expect(try render(#""{{ {b: '2', a: '1'} | pairs }}""#, values) == ["b", "2", "a", "1"])
        // omit keeps what it does not name (rename keeps only what it names); from_entries builds objects.
        #expect(try render(#""{{ {email: 'e', event: 'x', order_id: '7'} | omit(['email', 'event']) }}""#, values) == .object(["order_id": "7"]))
        #expect(try render(#""{{ [{Key: 'a', Value: '1'}, {Key: 'b', Value: '2'}] | from_entries('Key', 'Value') }}""#, values)
                == .object(["a": "1", "b": "2"]))
        #expect(try render(#""{{ [['a', 1]] | from_entries }}""#, values) == .object(["a": 1]))
        #expect(try render(#""{{ ['Ann@Example.com'] | contains('ann@example.com') }}""#, values) == true)
        #expect(try render(#""{{ tags | contains('z') }}""#, values) == false)
    }

    @Test func evaluationErrorsPointAtTheFile() throws {
        let node = try #require(try YAMLParser.parse(#"x: "{{ n | int }}""#, file: "t.yaml"))
        let sink = DiagnosticSink()
        let template = MappingCompiler(file: "t.yaml", variables: ["n"], sink: sink).compile(node)
        #expect {
            _ = try template.render(in: Scope(values: ["n": "abc"]))
        } throws: { error in
            (error as? MappingError)?.description.hasPrefix("t.yaml:1:") == true && "\(error)".contains("not a whole number")
        }
    }

    @Test func nowIsTheSendTimeAndDateTheMessageDate() throws {
        let definition = try DefinitionLoader.load(text: """
            id: clock
            api:
              url: https://clock.example.com/send
              body: {json: {now: "{{ now }}", date: "{{ date }}"}}
            """, file: "clock.yaml")
        let account = Account(name: "clock", provider: "clock", channel: .api)
        let runtime = CarrierRuntime(clock: ManualClock(now: WallTime(secondsSince1970: 1_800_000_000)))
        let setup = ChannelContext(account: account, provider: try ProviderBinding(definition: definition, account: account,
                                                                                 clock: runtime.clock, secrets: runtime.secrets),
                                 engine: runtime.engine, tokens: runtime.tokens, clock: runtime.clock, secrets: runtime.secrets)
        var message = try Fixtures.referenceMessage()
        message.date = 1_700_000_000
        let body = try APIChannel(setup).render(message, showSecrets: false)["body"]
        #expect(body["now"] == 1_800_000_000, "now is the runtime's clock")
        #expect(body["date"] == 1_700_000_000)
    }
}
