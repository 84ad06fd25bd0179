/// The tone of a transcript segment, from −1 (negative) to 1 (positive), by a small lexicon.
///
/// The method, on purpose simple enough to explain to a sales manager:
/// 1. lowercase the text and split it into words (letters, digits, `'` and `-`; `pre approved` and
///    `pre-approved` are the same);
/// 2. each word (or two-word phrase) in the positive list counts +1, in the negative list −1;
/// 3. a negation (`not`, `no`, `never`, `don't`, …) in the three words before flips the sign;
/// 4. score = (positives − negatives) / (positives + negatives + 2), rounded to 3 decimals: one
///    positive word gives 0.333, three give 0.6, and a segment with none gives 0.
///
/// The lists lean to buying a home: "pre-approved", "ready", "sold" (their own house) count up;
/// "expensive", "wait", "renting" (for now) count down.
public enum Sentiment {
    static let positive: Set<String> = [
        "love", "loved", "lovely", "great", "perfect", "excited", "exciting", "amazing", "wonderful", "ready", "definitely",
        "interested", "like", "liked", "beautiful", "happy", "good", "yes", "sure", "absolutely", "pre-approved", "preapproved",
        "approved", "sold", "cash", "soon", "asap", "tour", "visit", "offer", "serious", "motivated", "afford",
        "affordable", "fits", "ideal", "dream", "thanks", "thank", "helpful", "appreciate", "keen", "eager", "now", "schedule",
        "this-week", "move-in", "deposit", "signed", "relocating", "fantastic", "awesome", "nice", "works",
    ]
    static let negative: Set<String> = [
        "expensive", "pricey", "overpriced", "worried", "worry", "concerned", "concern", "unsure", "hesitant", "maybe",
        "later", "wait", "waiting", "busy", "cancel", "cancelled", "canceled", "stop", "unsubscribe", "spam", "annoyed",
        "frustrated", "bad", "terrible", "hate", "disappointed", "problem", "issue", "difficult", "debt", "denied",
        "declined", "rejected", "renting", "lease", "someday", "browsing", "just-looking", "too-much",
        "can't-afford", "small", "noisy", "far", "risky", "scared", "nervous", "no-thanks", "nope", "bankrupt", "laid-off",
    ]
    static let negations: Set<String> = [
        "not", "no", "never", "don't", "dont", "doesn't", "isn't", "aren't", "wasn't", "won't", "can't", "cannot", "without", "hardly",
    ]

    /// The words of `text`, lowercased, with common two-word phrases joined by `-`.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "'" || scalar == "-" || scalar == "’" {
                current.unicodeScalars.append(scalar == "’" ? "'" : scalar)
            } else if !current.isEmpty {
                words.append(current.trimmingCharacters(in: "-'"))
                current = ""
            }
        }
        if !current.isEmpty { words.append(current.trimmingCharacters(in: "-'")) }
        return words.filter { !$0.isEmpty }
    }

    public static func score(_ text: String) -> Double {
        let tokens = words(text)
        var positives = 0
        var negatives = 0
        var i = 0
        while i < tokens.count {
            var word = tokens[i]
            var width = 1
            if i + 1 < tokens.count {
                let pair = "\(tokens[i])-\(tokens[i + 1])"
                if positive.contains(pair) || negative.contains(pair) {
                    word = pair
                    width = 2
                }
            }
            let polarity = positive.contains(word) ? 1 : negative.contains(word) ? -1 : 0
            if polarity != 0 {
                let negated = tokens[max(0, i - 3)..<i].contains { negations.contains($0) }
                if (polarity > 0) != negated { positives += 1 } else { negatives += 1 }
            }
            i += width
        }
        let value = Double(positives - negatives) / Double(positives + negatives + 2)
        return (value * 1000).rounded() / 1000
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
