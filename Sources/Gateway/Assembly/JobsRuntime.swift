import CoreMetrics
import Foundation
import JSON
public import Jobs
import Logging
import Pipeline
import Reranker
import Scoring
import Store

/// The jobs of a gateway that has Redis: the queue on a Redis pool of its own (consumers block in
/// `XREADGROUP`, so they must not hold the store's connections), this process's consumer name, and
/// what happens when a job ends (the `job.completed` webhook, a job's callback).
public struct JobsRuntime: Sendable {
    public let queue: JobQueue
    public let metrics: JobMetrics
    /// This process's name in the consumer group.
    public let consumer: String
    let webhooks: WebhookSender?
    /// Posts async results to the callback URL a request gave, signed with `webhooks.secret`.
    let callbacks: WebhookSender

    init?(config: GatewayConfig, metrics: any MetricsFactory, pipelineMetrics: PipelineMetrics, webhooks: WebhookSender?, logger: Logger)
        throws(ConfigurationError)
    {
        guard let url = config.redisURL, let endpoint = try? RedisEndpoint(url: url) else { return nil }
        let pool = RedisPool(
            endpoint: endpoint,
            options: .init(
                size: config.jobs.concurrency + 4, connectTimeout: .milliseconds(max(config.redisConnectTimeoutMS, 1_000)),
                commandTimeout: .milliseconds(config.jobs.blockMS + 5_000)))
        queue = JobQueue(pool: pool, keys: JobKeys(prefix: config.redisKeyPrefix), settings: config.jobs)
        self.metrics = JobMetrics(factory: metrics)
        consumer =
            config.processName()
        self.webhooks = webhooks
        do {
            callbacks = try WebhookSender(settings: .init(url: "", secret: config.webhookSecret), metrics: pipelineMetrics)
        } catch {
            throw ConfigurationError(key: "jobs", "the HTTP client for job callbacks could not start: \(error.message)")
        }
        logger.info(
            "jobs: redis stream",
            metadata: [
                "stream": .string(queue.keys.stream), "consumer": .string(consumer), "concurrency": .stringConvertible(config.jobs.concurrency),
            ])
    }

    /// The consumer loops of this process.
    func worker(pipeline: ScoringPipeline, logger: Logger) -> JobWorker {
        JobWorker(queue: queue, pipeline: pipeline, consumer: consumer, logger: logger, metrics: metrics) { id in await finished(id, logger: logger) }
    }

    /// A job ended on this consumer: the webhook (`job.completed`) and the job's callback.
    func finished(_ id: String, logger: Logger) async {
        guard let state = try? await queue.state(jobID: id) else { return }
        if let webhooks {
            var w = JSONWriter(capacity: 512)
            w.beginObject()
            w.field("type", "job.completed")
            w.key("job")
            state.write(to: &w, nowMS: Timestamp.nowMS())
            w.endObject()
            webhooks.send(eventID: "job-\(id)-completed", body: w.text)
        }
        if let url = state.callbackURL {
            let body = await statusJSON(state)
            callbacks.send(eventID: "job-\(id)-result", body: body, to: url)
            logger.info("job callback", metadata: ["job": .string(id), "url": .string(url)])
        }
    }

    /// `{"id", "status": "PENDING"|"SUCCESS"|"FAILED", "job_status", "result"?, "error"?, "job"?}`: a job
    /// in the words of a CRM polling it. An async single score carries its lead's result (or error);
    /// a bulk job carries its state.
    func statusJSON(_ state: JobState) async -> String {
        var line: JSONNode?
        if state.kind == .single, state.status == .succeeded, let first = try? await queue.results(jobID: state.id, chunks: 0..<1).first,
            let bytes = first
        {
            line = RecordSplitter.records(bytes, csv: false).first.flatMap { try? JSONReader.parse(bytes: $0) }
        }
        let error = line?["error"]
        let word: String
        switch state.status {
        case .pending, .running: word = "PENDING"
        case .succeeded: word = (state.kind == .single && (error != nil || state.failed > 0)) ? "FAILED" : "SUCCESS"
        case .failed, .cancelled: word = "FAILED"
        }
        var w = JSONWriter(capacity: 2048)
        w.beginObject()
        w.field("id", state.id)
        w.field("status", word)
        w.field("job_status", state.status.rawValue)
        if state.kind == .single, let line {
            if let error {
                w.key("error")
                w.node(error)
            } else {
                w.key("result")
                w.node(line)
            }
        } else {
            w.key("job")
            state.write(to: &w, nowMS: Timestamp.nowMS())
        }
        w.endObject()
        return w.text
    }
}
