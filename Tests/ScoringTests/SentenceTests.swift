import Testing

@testable import Scoring

@Suite struct SentenceTests {
    @Test(arguments: [
        ("Viewed the pricing page {value} times", "Viewed the pricing page 5 times"),
        ("{label}: {value}", "Pricing page views: 5"),
        ("{value}/{value} {unknown} {", "5/5 {unknown} {"),
        ("No placeholders", "No placeholders"),
        ("", ""),
    ])
    func templatesAreFilled(_ template: String, _ expected: String) {
        #expect(LeadScorer.fill(template, value: "5", label: "Pricing page views") == expected)
    }
}
