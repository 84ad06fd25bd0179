import JSON
import Scoring
import TreeEnsemble

/// `GET /v1/models`: every loaded model, its roles and its feature schema.
enum ModelsEncoder {
    static func encode(_ snapshot: ModelRegistry.Snapshot) -> String {
        var w = JSONWriter(capacity: 8192)
        w.beginObject()
        w.key("models")
        w.beginArray()
        for model in snapshot.models {
            let m = model.manifest
            let e = model.ensemble
            w.beginObject()
            w.field("id", m.id)
            w.field("version", m.version)
            w.field("description", m.description)
            var roles: [String] = []
            if model === snapshot.primary { roles.append("default") }
            if model === snapshot.challenger { roles.append("challenger") }
            if model === snapshot.fallback { roles.append("fallback") }
            w.key("roles")
            w.beginArray()
            for role in roles { w.string(role) }
            w.endArray()
            if model === snapshot.challenger { w.field("challenger_share", snapshot.challengerShare, digits: 4) }
            w.field("library", e.library.rawValue)
            if let version = e.libraryVersion { w.field("library_version", version) }
            w.field("trees", e.treeCount)
            w.field("columns", e.featureCount)
            w.key("thresholds")
            w.beginObject()
            w.field("hot_above", model.scorer.thresholds.hotAbove)
            w.field("cold_below", model.scorer.thresholds.coldBelow)
            w.endObject()
            w.field("loaded_at", Timestamp.iso8601(model.loadedAt))
            w.key("groups")
            w.beginArray()
            for group in m.groups {
                w.beginObject()
                w.field("id", group.id)
                w.field("label", group.label)
                w.endObject()
            }
            w.endArray()
            w.key("fields")
            w.beginArray()
            for field in m.fields {
                w.beginObject()
                w.field("name", field.name)
                w.field("type", field.kind.name)
                w.field("label", field.label)
                if let group = field.group { w.field("group", group) }
                w.field("required", field.required)
                switch field.kind {
                case .number(let min, let max):
                    if let min { w.field("min", min) }
                    if let max { w.field("max", max) }
                case .boolean: break
                case .oneHot(let columns, _):
                    w.key("values")
                    w.beginArray()
                    for (value, _) in columns { w.string(value) }
                    w.endArray()
                case .categorical:
                    w.key("values")
                    w.beginArray()
                    for value in model.scorer.encoder.categories(of: field, model: e) { w.string(value) }
                    w.endArray()
                }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        if let rollout = snapshot.rollout {
            w.key("rollout")
            RetrainEncoder.rollout(&w, rollout)
        }
        w.endObject()
        return w.text
    }
}
