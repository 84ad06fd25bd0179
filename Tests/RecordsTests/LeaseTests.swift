import Foundation
import Records
import Testing

@Suite struct LeaseTests {
    @Test(arguments: Backend.allCases)
    func oneHolderAtATimeUntilItExpiresOrIsReleased(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let hour = now.addingTimeInterval(3_600)
            // Two gateways asking together: one yes.
            async let a = store.acquireLease(name: "retrain:m", holder: "gw-a", expiresAt: hour, now: now)
            async let b = store.acquireLease(name: "retrain:m", holder: "gw-b", expiresAt: hour, now: now)
            let answers = try await [a, b]
            #expect(answers.filter { $0 }.count == 1)
            let (winner, loser) = answers[0] ? ("gw-a", "gw-b") : ("gw-b", "gw-a")
            // The holder may renew; the other waits for the expiry; another name is free.
            #expect(try await store.acquireLease(name: "retrain:m", holder: winner, expiresAt: hour, now: now.addingTimeInterval(60)))
            #expect(try await !store.acquireLease(name: "retrain:m", holder: loser, expiresAt: hour, now: now.addingTimeInterval(3_599)))
            #expect(try await store.acquireLease(name: "retrain:n", holder: loser, expiresAt: hour, now: now))
            #expect(
                try await store.acquireLease(name: "retrain:m", holder: loser, expiresAt: hour.addingTimeInterval(3_600), now: hour))
            // Releasing is the holder's alone; then anyone may take it.
            try await store.releaseLease(name: "retrain:m", holder: winner)
            #expect(try await !store.acquireLease(name: "retrain:m", holder: winner, expiresAt: hour, now: hour))
            try await store.releaseLease(name: "retrain:m", holder: loser)
            #expect(try await store.acquireLease(name: "retrain:m", holder: winner, expiresAt: hour, now: hour))
        }
    }
}
