import Hummingbird
import Logging
import NIOCore
import Pipeline
import Scoring
import Training
import Voice

/// The HTTP routes, all registered here (the OpenAPI document lists the same). Handlers stay thin:
/// read and limit the body, decode it into a typed input, call the pipeline, encode its typed result.
struct Routes: Sendable {
    let components: Components
    let metrics: GatewayMetrics
    let exporter: PrometheusExporter
    let authenticator: Authenticator
    let lifecycle: Lifecycle
    let reload: @Sendable () -> Result<ModelRegistry.Snapshot, ConfigurationError>
    let openAPI: OpenAPIDocument
    /// The input-drift checks; nil with `records: off` (they read the recorded inputs).
    let drift: DriftMonitor?
    /// The LLM guard rail's measurement and the operators' switch.
    let rerankGuard: RerankGuard
    /// The retraining loop; nil with `records: off`.
    let retrainer: Retrainer?
    let logger: Logger

    var config: GatewayConfig { components.config }
    var pipeline: ScoringPipeline { components.pipeline }

    func register(on router: Router<GatewayContext>) {
        router.get("/healthz") { _, _ in JSONBody.response(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in readiness() }
        router.get("/metrics") { _, _ in metricsText() }
        router.get("/openapi.json") { _, _ in JSONBody.response(openAPI.json) }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: ByteBuffer(string: openAPI.yaml)))
        }

        let write = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .writeLeads))
        let read = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .readLeads))
        let admin = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .promptsAdmin))

        write.post("/v1/leads/score") { request, context in try await scoreOne(request, context: context) }
        write.post("/v1/leads/batch-score") { request, context in try await scoreBatch(request, context: context) }
        read.get("/v1/leads/{lead_id}/score") { request, context in try await liveScore(request, context: context) }
        write.delete("/v1/leads/{lead_id}") { _, context in try await erase(context: context) }
        write.post("/v1/leads/{lead_id}/prewarm") { request, context in try await prewarm(request, context: context) }
        write.post("/v1/leads/prewarm") { request, context in try await prewarmBatch(request, context: context) }
        write.post("/v1/leads/{lead_id}/events") { request, context in try await events(request, context: context) }
        write.post("/v1/leads/events") { request, context in try await bulkEvents(request, context: context) }
        read.get("/v1/leads/{lead_id}/score/stream") { request, context in try await scoreStream(request, context: context) }
        read.get("/v1/models") { _, _ in JSONBody.response(ModelsEncoder.encode(pipeline.registry.snapshot)) }
        read.get("/v1/models/{id}/performance") { request, context in try await modelPerformance(request, context: context) }
        read.get("/v1/models/{id}/drift") { request, context in try await modelDrift(request, context: context) }
        read.get("/v1/decisions/{id}") { request, context in try await decision(request, context: context) }
        read.get("/v1/leads/{lead_id}/history") { request, context in try await history(request, context: context) }
        read.get("/v1/queue") { request, context in try await workQueue(request, context: context) }
        read.get("/v1/leads/{lead_id}/outcomes") { request, context in try await leadOutcomes(request, context: context) }
        write.post("/v1/jobs") { request, context in try await submitJob(request, context: context) }
        read.get("/v1/jobs/{id}") { _, context in try await jobStatus(context: context) }
        read.get("/v1/jobs/{id}/events") { _, context in try await jobEvents(context: context) }
        read.get("/v1/jobs/{id}/results") { request, context in try await jobResults(request, context: context) }
        write.delete("/v1/jobs/{id}") { _, context in try await cancelJob(context: context) }
        read.get("/v1/leads/score/{id}/status") { _, context in try await scoreStatus(context: context) }
        write.post("/v1/outcomes") { request, context in try await postOutcomes(request, context: context) }

        admin.post("/v1/admin/models/reload") { _, _ in try reloadModels() }
        admin.post("/v1/admin/models/{id}/llm") { request, context in try await setLLMStep(request, context: context) }
        admin.post("/v1/admin/models/{id}/retrain") { request, context in try await retrainNow(request, context: context) }
        admin.post("/v1/admin/models/{id}/promote") { request, context in try await promote(request, context: context) }
        admin.post("/v1/admin/models/{id}/rollback") { request, context in try await rollback(request, context: context) }
        admin.get("/v1/prompts") { _, _ in try listPrompts() }
        admin.post("/v1/prompts/{id}/render") { request, context in try await renderPrompt(request, context: context, call: false) }
        admin.post("/v1/prompts/{id}/try") { request, context in try await renderPrompt(request, context: context, call: true) }
        admin.put("/v1/admin/prompts/rollout") { request, context in try await setRollout(request, context: context) }

        // The platforms authenticate with their own secrets when set (else API keys; see the handlers).
        router.post("/v1/integrations/vapi") { request, context in try await vapi(request, context: context) }
        router.post("/v1/integrations/retell") { request, context in try await retell(request, context: context) }
    }

    /// Who asked, for the decisions a request makes.
    func decision(_ kind: DecisionContext.Kind, _ context: GatewayContext) -> DecisionContext {
        DecisionContext(kind: kind, requestID: context.requestID, caller: context.principal?.subject, receivedAt: context.receivedAt)
    }
}
