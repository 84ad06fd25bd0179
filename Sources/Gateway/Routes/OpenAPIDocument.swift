/// The OpenAPI 3.1 description of the gateway, served at `GET /openapi.json`.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "LeadGate",
            "version": "1.0.0",
            "summary": "Lead scoring gateway: tree-ensemble scores, badges, confidence and reasons over HTTP.",
            "description": "Scores leads with xgboost / LightGBM models. Every error is an RFC 9457 application/problem+json body (Problem).",
            "x-default-limits": {
              "max_body_bytes": 1048576,
              "max_batch_body_bytes": 33554432,
              "max_batch_leads": 10000,
              "max_notes_chars": 4000,
              "max_lead_id_chars": 128
            }
          },
          "servers": [{"url": "http://127.0.0.1:8080", "description": "The default address (server.host, server.port)."}],
          "tags": [
            {"name": "scoring", "description": "Score leads and read live scores."},
            {"name": "models", "description": "The loaded models and their feature schemas."},
            {"name": "admin", "description": "Administration (scope prompts.admin)."},
            {"name": "operations", "description": "Health, readiness, metrics and this document. Public."}
          ],
          "paths": {
            "/v1/leads/score": {
              "post": {
                "operationId": "scoreLead",
                "tags": ["scoring"],
                "summary": "Score one lead",
                "description": "Needs scope `crm.write.leads`. Scores the lead and keeps the result as its live score (GET /v1/leads/{lead_id}/score).",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {
                  "required": true,
                  "description": "A JSON lead of at most limits.max_body_bytes (default 1 MiB, 1048576 bytes).",
                  "content": {
                    "application/json": {
                      "schema": {"$ref": "#/components/schemas/ScoreRequest"},
                      "example": {
                        "lead_id": "L-1001",
                        "features": {
                          "pricing_page_views": 6,
                          "listing_views": 48,
                          "saved_listings": 9,
                          "email_opens": 14,
                          "email_clicks": 5,
                          "property_searches": 31,
                          "days_since_last_activity": 2,
                          "budget_to_price_ratio": 1.08,
                          "call_sentiment": 0.6,
                          "tour_requested": true,
                          "mortgage_preapproved": false,
                          "lead_source": "zillow",
                          "property_type": "single_family"
                        },
                        "notes": "Asked about school districts; wants to move before spring."
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The score.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {
                        "schema": {"$ref": "#/components/schemas/ScoreResponse"},
                        "examples": {"scored": {"$ref": "#/components/examples/ScoredLead"}}
                      }
                    }
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "413": {
                    "description": "The body exceeds limits.max_body_bytes (default 1 MiB) (body-too-large).",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "example": {
                          "type": "urn:leadgate:problem:body-too-large",
                          "title": "The body is too large",
                          "status": 413,
                          "detail":
        "The body exceeds 1048576 bytes. Send less (batches: split them), or raise the limit in limits.* of the configuration.",
                          "instance": "/v1/leads/score"
                        }
                      }
                    }
                  },
                  "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {"$ref": "#/components/responses/Invalid"},
                  "500": {"$ref": "#/components/responses/Internal"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/leads/batch-score": {
              "post": {
                "operationId": "scoreBatch",
                "tags": ["scoring"],
                "summary": "Score a batch of leads",
                "description":
        "Needs scope `crm.write.leads`. Scores every lead on all cores; an invalid lead becomes a BatchError, the rest are scored.",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {
                  "required": true,
                  "description": "At most limits.max_batch_body_bytes (default 32 MiB) and limits.max_batch_leads (default 10,000) leads.",
                  "content": {
                    "application/json": {
                      "schema": {"$ref": "#/components/schemas/BatchRequest"},
                      "example": {
                        "leads": [
                          {
                            "lead_id": "L-1001",
                            "features": {
                              "pricing_page_views": 6,
                              "listing_views": 48,
                              "saved_listings": 9,
                              "email_opens": 14,
                              "email_clicks": 5,
                              "property_searches": 31,
                              "days_since_last_activity": 2,
                              "budget_to_price_ratio": 1.08,
                              "call_sentiment": 0.6,
                              "tour_requested": true,
                              "mortgage_preapproved": false,
                              "lead_source": "zillow",
                              "property_type": "single_family"
                            },
                            "notes": "Asked about school districts; wants to move before spring."
                          },
                          {
                            "lead_id": "L-1002",
                            "features": {
                              "pricing_page_views": 0,
                              "listing_views": 3,
                              "days_since_last_activity": 41,
                              "lead_source": "paid_social",
                              "property_type": "condo",
                              "crm_stage": "new"
                            }
                          },
                          {"lead_id": "L-1003", "features": {"listing_views": -5}}
                        ],
                        "options": {"explain": false}
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "One result per lead; each scored lead also becomes its live score.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {
                        "schema": {"$ref": "#/components/schemas/BatchResponse"},
                        "example": {
                          "count": 3,
                          "results": [
                            {
                              "lead_id": "L-1001",
                              "score": 47,
                              "base_score": 47,
                              "probability": 0.473532,
                              "badge": "warm",
                              "base_badge": "warm",
                              "confidence": 0.765,
                              "leaf_support": 0.14308,
                              "rerank": {"status": "disabled", "reason": "disabled", "multiplier": 1, "latency_ms": 0},
                              "model": {"id": "realestate", "version": "2026.11.0", "role": "default"},
                              "scored_at": "2026-11-23T00:01:39.624Z"
                            },
                            {
                              "lead_id": "L-1002",
                              "score": 4,
                              "base_score": 4,
                              "probability": 0.038094,
                              "badge": "cold",
                              "base_badge": "cold",
                              "confidence": 0.017,
                              "leaf_support": 0.05994,
                              "rerank": {"status": "disabled", "reason": "disabled", "multiplier": 1, "latency_ms": 0},
                              "model": {"id": "realestate", "version": "2026.11.0", "role": "default"},
                              "warnings": [{"field": "features.crm_stage", "message": "is not a field of this model and was ignored."}],
                              "scored_at": "2026-11-23T00:01:39.624Z"
                            },
                            {
                              "index": 2,
                              "lead_id": "L-1003",
                              "error": {
                                "type": "urn:leadgate:problem:invalid-lead",
                                "title": "The request has invalid fields",
                                "status": 422,
                                "detail": "`features.listing_views` is -5.0, below the minimum 0. Send a value of at least that.",
                                "errors": [
                                  {
                                    "field": "features.listing_views",
                                    "message": "is -5.0, below the minimum 0. Send a value of at least that."
                                  }
                                ]
                              }
                            }
                          ],
                          "scored": 2,
                          "failed": 1
                        }
                      }
                    }
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "413": {
                    "description": "The body exceeds limits.max_batch_body_bytes (body-too-large), or too many leads (batch-too-large).",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "example": {
                          "type": "urn:leadgate:problem:batch-too-large",
                          "title": "Too many leads in one batch",
                          "status": 413,
                          "detail": "The batch has 12000 leads; the limit is 10000 (limits.max_batch_leads). Split it.",
                          "instance": "/v1/leads/batch-score",
                          "errors": [{"field": "leads", "message": "has 12000 leads; at most 10000 are allowed."}]
                        }
                      }
                    }
                  },
                  "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {
                    "description": "The batch itself is invalid (invalid-lead): leads missing, not a list or empty, an unknown key or a bad option.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "example": {
                          "type": "urn:leadgate:problem:invalid-lead",
                          "title": "The request has invalid fields",
                          "status": 422,
                          "detail": "`leads` is empty. Send at least one lead.",
                          "instance": "/v1/leads/batch-score",
                          "errors": [{"field": "leads", "message": "is empty. Send at least one lead."}]
                        }
                      }
                    }
                  },
                  "500": {"$ref": "#/components/responses/Internal"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/leads/{lead_id}/score": {
              "get": {
                "operationId": "getLiveScore",
                "tags": ["scoring"],
                "summary": "Get a lead's live score",
                "description": "Needs scope `crm.read.leads`. The last score returned for the lead, with `as_of` (when it was scored), `age_s`, `stale` (older than live_scores.stale_after_s, or its LLM step still pending) and `refreshing` (a stale score is served at once and scored again in the background) in front, and an `ETag`: send it back in `If-None-Match` to get 304 with no body until the score changes. From the store: Redis when configured (shared by every gateway on it; the key is leadgate:live:<lead_id>), else this process's memory. While Redis does not answer, a lead this gateway scored is served from its own copy.",
                "parameters": [
                  {
                    "name": "lead_id",
                    "in": "path",
                    "required": true,
                    "schema": {"$ref": "#/components/schemas/LeadId"}
                  },
                  {"$ref": "#/components/parameters/RequestId"}
                ],
                "responses": {
                  "304": {"description": "Not modified: the ETag in If-None-Match is still current."},
                  "200": {
                    "description": "The stored score, exactly as it was returned, after as_of, age_s and stale.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {
                        "schema": {"$ref": "#/components/schemas/ScoreResponse"},
                        "examples": {"scored": {"$ref": "#/components/examples/ScoredLead"}}
                      }
                    }
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "404": {
                    "description": "No live score for this lead (no-live-score): never scored, expired (live_scores.ttl_s), evicted (in memory, least recently used first), or erased.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "example": {
                          "type": "urn:leadgate:problem:no-live-score",
                          "title": "No score for this lead",
                          "status": 404,
                          "detail": "Lead `L-1001` has no live score (never scored, expired after live_scores.ttl_s, or erased). Score it with POST /v1/leads/score.",
                          "instance": "/v1/leads/L-1001/score"
                        }
                      }
                    }
                  },
                  "500": {"$ref": "#/components/responses/Internal"},
                  "503": {"$ref": "#/components/responses/StoreUnavailable"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.read.leads"
              }
            },
            "/v1/leads/{lead_id}": {
              "delete": {
                "operationId": "eraseLead",
                "tags": ["scoring"],
                "summary": "Erase every key the store holds for a lead (GDPR/CCPA)",
                "description": "Needs scope `crm.write.leads`. Removes the lead's live score, the cached LLM answers its data produced or used, and their index, and lists the keys removed. Idempotent: erasing again removes nothing and answers 200 with count 0. 503 when Redis does not answer: nothing is known to be erased, retry.",
                "parameters": [
                  {
                    "name": "lead_id",
                    "in": "path",
                    "required": true,
                    "schema": {"$ref": "#/components/schemas/LeadId"}
                  },
                  {"$ref": "#/components/parameters/RequestId"}
                ],
                "responses": {
                  "200": {
                    "description": "What was removed.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object",
                          "required": ["lead_id", "store", "removed", "count"],
                          "properties": {
                            "lead_id": {"type": "string"},
                            "store": {"enum": ["redis", "memory"]},
                            "removed": {"type": "array", "items": {"type": "string"}, "description": "The keys removed."},
                            "count": {"type": "integer", "minimum": 0}
                          }
                        },
                        "example": {
                          "lead_id": "L-1001",
                          "store": "redis",
                          "removed": [
                            "leadgate:live:L-1001",
                            "leadgate:adj:v1:5b1d0c5e2f0a4c8e9d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d",
                            "leadgate:lead:L-1001:adj"
                          ],
                          "count": 3
                        }
                      }
                    }
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "500": {"$ref": "#/components/responses/Internal"},
                  "503": {"$ref": "#/components/responses/StoreUnavailable"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/prompts": {
              "get": {
                "operationId": "listPrompts",
                "tags": ["prompts"],
                "summary": "List the prompt files, their versions and the rollout",
                "description": "Needs scope `prompts.admin`. Every *.prompt file of the prompt folder: id, version, content hash, role (live, candidate, available), parameters, the variables it uses and lint warnings; a file that does not load as it is now shows its error (the last good version keeps serving). `rollout` says which prompt is live, the candidate and its share, and where that came from (configuration, rollout.yaml, admin). Without an LLM: {\"llm\": \"disabled\", \"prompts\": []}.",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "responses": {
                  "200": {"description": "The prompts.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "prompts.admin"
              }
            },
            "/v1/prompts/{id}/render": {
              "post": {
                "operationId": "renderPrompt",
                "tags": ["prompts"],
                "summary": "Dry run: the exact messages and request body a prompt gives for a lead (no LLM call)",
                "description": "Needs scope `prompts.admin`. The body is a lead as for POST /v1/leads/score; it is scored, then the prompt is rendered for it. Answers prompt, llm_model, messages, request, base_score, base_badge. Nothing is stored.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, {"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}}},
                "responses": {
                  "200": {"description": "The rendered prompt.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "404": {"description": "No loaded prompt has this id (no-such-prompt).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "409": {"description": "No LLM is configured (llm-disabled).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "422": {"description": "Invalid lead (invalid-lead), as for scoring.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "prompts.admin"
              }
            },
            "/v1/prompts/{id}/try": {
              "post": {
                "operationId": "tryPrompt",
                "tags": ["prompts"],
                "summary": "Try a prompt against the LLM for a lead: the raw answer, the parsed multiplier or fallback reason, and the final score",
                "description": "Needs scope `prompts.admin`. As render, then one LLM call under the usual budget. Answers also answer (http_status, body as received), rerank, score, badge and fallback_detail. Reads and writes no cache and stores no live score.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, {"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}}},
                "responses": {
                  "200": {"description": "The trial.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "404": {"description": "No loaded prompt has this id (no-such-prompt).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "409": {"description": "No LLM is configured (llm-disabled).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "prompts.admin"
              }
            },
            "/v1/admin/prompts/rollout": {
              "put": {
                "operationId": "setPromptRollout",
                "tags": ["prompts"],
                "summary": "Promote or roll back a prompt in one call",
                "description": "Needs scope `prompts.admin`. Body: {\"live\": id, \"candidate\": id or null, \"share\": 0–1}; missing fields keep their value. Live at once. A later change of prompts/rollout.yaml wins over it (the latest change wins).",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"live": {"type": "string"}, "candidate": {"type": ["string", "null"]}, "share": {"type": "number", "minimum": 0, "maximum": 1}}}}}},
                "responses": {
                  "200": {"description": "The new rollout.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "409": {"description": "No LLM is configured (llm-disabled).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "422": {"description": "An unknown prompt id or a share outside 0–1 (invalid-lead, naming the field).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "prompts.admin"
              }
            },
            "/v1/leads/{lead_id}/prewarm": {
              "post": {
                "operationId": "prewarmLead",
                "tags": ["voice"],
                "summary": "Score a lead before a call, and fetch its LLM adjustment in the background",
                "description": "Needs scope `crm.write.leads`. The body is a lead as for POST /v1/leads/score (its lead_id, if any, must match the path). Answers 202 with the model's score at once, its rerank `pending`, and stores it as the live score; when the LLM answers, the adjusted score replaces it, so a voice agent's first lookup in the call finds it ready.",
                "parameters": [{"name": "lead_id", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/LeadId"}}, {"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}}},
                "responses": {
                  "202": {"description": "Scored; the LLM step runs.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreResponse"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "422": {"description": "Invalid lead (invalid-lead), or a body lead_id that differs from the path.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/leads/prewarm": {
              "post": {
                "operationId": "prewarmLeads",
                "tags": ["voice"],
                "summary": "Prewarm many leads: {\"leads\": [...]}",
                "description": "Needs scope `crm.write.leads`. As the single form, for up to limits.max_batch_leads leads. Answers 202 with `accepted` and a `failed` entry (index, lead_id, problem) per lead that could not be scored.",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {
                  "202": {"description": "Accepted.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "413": {"description": "Too many leads (batch-too-large).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/leads/{lead_id}/events": {
              "post": {
                "operationId": "postLeadEvents",
                "tags": ["voice"],
                "summary": "Record events of a lead and get its new model score at once",
                "description": "Needs scope `crm.write.leads`. The body is `{\"events\": [...], \"options\": {...}}`, a list of events, or one event. Each event is stored once per `event_id` (a retry is a `duplicate`, counted once on every gateway), then the lead's whole event log is folded into fields by the model manifest's `events` rules (counts in windows, recency in days, latest value, transcript sentiment), by each event's `at` (so late events are placed where they belong), over the fields of the lead's last score request. The answer is the new model score at once, with `events` (per-event status) and `from_events` (the folded fields) in front; the LLM step runs in the background and lands in the live score (`rerank.status: pending` until then). Nothing of a refused request is stored.",
                "parameters": [{"name": "lead_id", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/LeadId"}}, {"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "properties": {
                          "events": {
                            "type": "array",
                            "maxItems": 500,
                            "items": {
                              "type": "object",
                              "required": ["event_id", "type"],
                              "properties": {
                                "event_id": {"type": "string", "maxLength": 128, "description": "The sender's id; the same id again is a duplicate."},
                                "type": {"type": "string", "description": "An event type some loaded model folds (default model: page_view, listing_saved, email_open, email_click, search, tour_requested, call_started, call_transcript, preapproval, budget_stated)."},
                                "at": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer", "description": "milliseconds since 1970"}], "description": "When it happened (default: now; at most 5 minutes ahead)."},
                                "properties": {"type": "object", "maxProperties": 32, "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
                              }
                            }
                          },
                          "options": {"$ref": "#/components/schemas/ScoreOptions"}
                        }
                      },
                      "example": {"events": [{"event_id": "c-1", "type": "preapproval", "at": "2026-11-23T14:05:00Z", "properties": {"approved": true}}, {"event_id": "c-2", "type": "call_transcript", "properties": {"text": "We sold our house and we are ready to tour this week."}}]}
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The new model score, with what happened to each event.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "allOf": [
                            {"$ref": "#/components/schemas/ScoreResponse"},
                            {
                              "type": "object",
                              "properties": {
                                "events": {"type": "object", "properties": {"received": {"type": "integer"}, "accepted": {"type": "integer"}, "duplicates": {"type": "integer"}, "held": {"type": "integer", "description": "events kept for the lead"}, "results": {"type": "array", "items": {"type": "object", "properties": {"event_id": {"type": "string"}, "status": {"type": "string", "enum": ["accepted", "duplicate"]}}}}}},
                                "from_events": {"type": "object", "description": "The fields the events set, as folded now."}
                              }
                            }
                          ]
                        }
                      }
                    }
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "422": {"description": "A bad event (invalid-lead): each field named, e.g. `events[2].at`, `events[0].type` (with the accepted types), `properties.ratio` (out of its field's bounds), or too many events.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                  "503": {"$ref": "#/components/responses/StoreUnavailable"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/leads/events": {
              "post": {
                "operationId": "postBulkEvents",
                "tags": ["voice"],
                "summary": "Record events of many leads at once (a tracking pipeline's batch)",
                "description": "Needs scope `crm.write.leads`. `{\"events\": [...], \"options\": {...}}` where every event also names its `lead_id`; up to limits.max_bulk_events events. The events are grouped by lead and each lead is handled as POST /v1/leads/{lead_id}/events (16 leads at a time). One bad event refuses the whole request (422 naming it, e.g. `events[3].lead_id`), and nothing is stored. The answer lists, in the order of each lead's first event, the lead's answer or `{\"index\", \"lead_id\", \"error\": {problem}}` (e.g. the store did not answer for that lead).",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}, "example": {"events": [{"lead_id": "L-1001", "event_id": "t-88", "type": "page_view", "properties": {"page": "pricing"}}, {"lead_id": "L-1002", "event_id": "t-89", "type": "email_click"}], "options": {"explain": false}}}}},
                "responses": {
                  "200": {"description": "One entry per lead.", "content": {"application/json": {"schema": {"type": "object", "properties": {"leads_count": {"type": "integer"}, "events_count": {"type": "integer"}, "results": {"type": "array", "items": {"type": "object"}}, "failed": {"type": "integer"}}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "422": {"description": "A bad event, named (invalid-lead).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.write.leads"
              }
            },
            "/v1/leads/{lead_id}/score/stream": {
              "get": {
                "operationId": "streamLiveScore",
                "tags": ["voice"],
                "summary": "Server-Sent Events: the lead's live score, then every change",
                "description": "Needs scope `crm.read.leads`. `text/event-stream`: `retry: 2000`, then the current live score as `event: score` (skipped when `Last-Event-ID` names it; a comment when there is none yet), then an `event: score` for every change of score, badge or LLM status made on any gateway sharing the Redis. `id:` is the score's store time (ms); `data:` is the live-score JSON (as GET /v1/leads/{lead_id}/score). A comment every live_scores.heartbeat_s; `event: close` on shutdown. At most live_scores.max_streams per gateway.",
                "parameters": [{"name": "lead_id", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/LeadId"}}, {"name": "Last-Event-ID", "in": "header", "required": false, "schema": {"type": "string"}}, {"$ref": "#/components/parameters/RequestId"}],
                "responses": {
                  "200": {"description": "The stream.", "content": {"text/event-stream": {"schema": {"type": "string"}, "example": "retry: 2000\n\nevent: score\nid: 1795408018621\ndata: {\"as_of\":\"2026-11-23T04:26:58.621Z\",\"stale\":false,\"lead_id\":\"L-1001\",\"score\":47,\"badge\":\"warm\"}\n\n"}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "503": {"description": "Too many streams (too-many-streams), with Retry-After.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.read.leads"
              }
            },
            "/v1/integrations/vapi": {
              "post": {
                "operationId": "vapiToolCalls",
                "tags": ["voice"],
                "summary": "Vapi server messages: get_lead_score and record_lead_event tool calls",
                "description": "With LEADGATE_VAPI_SECRET set, the `X-Vapi-Secret` header must equal it (LeadGate keys are not needed); otherwise scope `crm.read.leads` (and `crm.write.leads` for record_lead_event). For a `tool-calls` message, every call in `toolCallList` (or `toolWithToolCallList`, or the older `toolCalls`) is answered with `{\"toolCallId\", \"name\", \"result\"}`, or `\"error\"` for a call that could not be done. `get_lead_score {lead_id}` answers the live score's `speakable` line; `record_lead_event {lead_id, type, text?, properties?}` stores an event (its id is the tool call's id, so a retry counts once) and answers `Noted.` and the new score's line. Arguments may be an object or a JSON string. Other message types are answered `{}`.",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {
                  "200": {
                    "description": "One result per tool call.",
                    "content": {
                      "application/json": {
                        "schema": {"type": "object"},
                        "example": {"results": [{"toolCallId": "tc-1", "name": "get_lead_score", "result": "Warm lead, 47 out of 100, mainly: positive tone on the last call. Next, ask: Have you been pre-approved for a mortgage yet?"}]}
                      }
                    }
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}, {"VapiSecret": []}],
                "x-required-scope": "crm.read.leads"
              }
            },
            "/v1/integrations/retell": {
              "post": {
                "operationId": "retellFunction",
                "tags": ["voice"],
                "summary": "Retell custom functions: get_lead_score and record_lead_event",
                "description": "With LEADGATE_RETELL_API_KEY set, `X-Retell-Signature: v=<unix ms>,d=<hex>` must equal HMAC-SHA256 keyed with that Retell API key over the raw body followed by the timestamp, at most 5 minutes old (LeadGate keys are not needed); otherwise scope `crm.read.leads` (and `crm.write.leads` for record_lead_event). The body is Retell's `{\"name\", \"call\", \"args\"}`, or with \"payload: args only\" the arguments alone (`function` in them names the function; default get_lead_score). record_lead_event's event id hashes the call id and the arguments, so Retell's retries count once.",
                "parameters": [{"name": "X-Retell-Signature", "in": "header", "required": false, "schema": {"type": "string"}}, {"$ref": "#/components/parameters/RequestId"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string", "enum": ["get_lead_score", "record_lead_event"]}, "call": {"type": "object"}, "args": {"type": "object", "properties": {"lead_id": {"type": "string"}, "type": {"type": "string"}, "text": {"type": "string"}, "properties": {"type": "object"}}}}}}}},
                "responses": {
                  "200": {
                    "description": "The line to say, with the live score.",
                    "content": {"application/json": {"schema": {"type": "object", "properties": {"result": {"type": "string"}, "lead_id": {"type": "string"}, "score": {"type": "integer"}, "badge": {"type": "string"}, "stale": {"type": "boolean"}, "as_of": {"type": "string"}}}, "example": {"result": "Warm lead, 47 out of 100, mainly: positive tone on the last call. Next, ask: Have you been pre-approved for a mortgage yet?", "lead_id": "RT-1", "score": 47, "badge": "warm", "stale": false, "as_of": "2026-11-23T05:33:55.441Z"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "422": {"description": "An unknown function name (invalid-lead naming `name`).", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}, {"RetellSignature": []}],
                "x-required-scope": "crm.read.leads"
              }
            },
            "/v1/models": {
              "get": {
                "operationId": "listModels",
                "tags": ["models"],
                "summary": "List the loaded models",
                "description": "Needs scope `crm.read.leads`. Every loaded model: roles, thresholds, groups and its feature schema (fields).",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "responses": {
                  "200": {
                    "description": "The loaded models.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "500": {"$ref": "#/components/responses/Internal"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "crm.read.leads"
              }
            },
            "/v1/admin/models/reload": {
              "post": {
                "operationId": "reloadModels",
                "tags": ["admin"],
                "summary": "Reload the models",
                "description": "Needs scope `prompts.admin`. Reloads every model folder and swaps them in atomically, as SIGHUP does. No body.",
                "parameters": [{"$ref": "#/components/parameters/RequestId"}],
                "responses": {
                  "200": {
                    "description": "Reloaded; a folder that failed keeps its last good model.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {
                        "schema": {"$ref": "#/components/schemas/ReloadResult"},
                        "example": {"status": "reloaded", "generation": 1, "models": ["realestate@2026.11.0"], "problems": []}
                      }
                    }
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "409": {
                    "description": "Not reloaded (reload-failed): no default model could be loaded. The previous models keep serving.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "example": {
                          "type": "urn:leadgate:problem:reload-failed",
                          "title": "Models not reloaded",
                          "status": 409,
                          "detail": "The previous models keep serving. models.default: no model loaded from `config/models`.",
                          "instance": "/v1/admin/models/reload"
                        }
                      }
                    }
                  },
                  "500": {"$ref": "#/components/responses/Internal"}
                },
                "security": [{"ApiKeyHeader": []}, {"BearerAuth": []}],
                "x-required-scope": "prompts.admin"
              }
            },
            "/healthz": {
              "get": {
                "operationId": "healthz",
                "tags": ["operations"],
                "summary": "Liveness",
                "description": "Public. 200 while the process serves HTTP.",
                "responses": {
                  "200": {
                    "description": "Alive.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {"schema": {"$ref": "#/components/schemas/Health"}, "example": {"status": "ok"}}
                    }
                  }
                },
                "security": []
              }
            },
            "/readyz": {
              "get": {
                "operationId": "readyz",
                "tags": ["operations"],
                "summary": "Readiness",
                "description":
        "Public. 200 with the model summary and the store's state once a default (or fallback) model has loaded; status `degraded` (still 200: every request gets its score) when the fallback model serves or Redis does not answer; 503 while the gateway drains to stop.",
                "responses": {
                  "200": {
                    "description": "Ready.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {
                      "application/json": {
                        "schema": {"$ref": "#/components/schemas/Readiness"},
                        "example": {
                          "status": "ready",
                          "models": 1,
                          "default_model": "realestate@2026.11.0",
                          "degraded": false,
                          "store": {"kind": "redis", "up": true, "seconds_in_state": 812.4}
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Shutting down (SIGTERM/SIGINT): every route answers 503 shutting-down with Retry-After while in-flight requests finish.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
                  }
                },
                "security": []
              }
            },
            "/metrics": {
              "get": {
                "operationId": "metrics",
                "tags": ["operations"],
                "summary": "Prometheus metrics",
                "description":
        "Public. Prometheus text format 0.0.4: requests, latency, scores by model and badge, invalid leads, reloads, models, live scores.",
                "responses": {
                  "200": {
                    "description": "The metrics.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}}
                  }
                },
                "security": []
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi",
                "tags": ["operations"],
                "summary": "This document",
                "description": "Public. The OpenAPI 3.1 description of the gateway.",
                "responses": {
                  "200": {
                    "description": "The OpenAPI document.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"application/json": {"schema": {"type": "object"}}}
                  }
                },
                "security": []
              }
            }
          },
          "components": {
            "examples": {
              "ScoredLead": {
                "summary": "The example lead (examples/lead.json), scored with the LLM step off.",
                "value": {
              "lead_id": "L-1001",
              "score": 47,
              "base_score": 47,
              "probability": 0.473532,
              "badge": "warm",
              "base_badge": "warm",
              "speakable": "Warm lead, 47 out of 100, mainly: positive tone on the last call. Next, ask: Have you been pre-approved for a mortgage yet?",
              "confidence": 0.765,
              "leaf_support": 0.14308,
              "reasons": [
                {
                  "field": "call_sentiment",
                  "label": "Call sentiment",
                  "value": 0.6,
                  "contribution": 0.7932,
                  "direction": "up",
                  "text": "Positive tone on the last call"
                },
                {
                  "field": "pricing_page_views",
                  "label": "Pricing page views",
                  "value": 6,
                  "contribution": 0.7619,
                  "direction": "up",
                  "text": "Viewed the pricing page 6 times"
                },
                {
                  "field": "mortgage_preapproved",
                  "label": "Mortgage pre-approval",
                  "value": false,
                  "contribution": -0.4904,
                  "direction": "down",
                  "text": "Not pre-approved for a mortgage yet"
                },
                {
                  "field": "lead_source",
                  "label": "Lead source",
                  "value": "zillow",
                  "contribution": -0.1683,
                  "direction": "down",
                  "text": "Came in through zillow"
                }
              ],
              "breakdown": [
                {"group": "behavioral", "label": "Behavioral", "contribution": 1.8635, "share": 0.4276},
                {"group": "engagement", "label": "Engagement", "contribution": 0.916, "share": 0.2271},
                {"group": "market_fit", "label": "Market fit", "contribution": -0.1877, "share": 0.1722},
                {"group": "timing", "label": "Timing", "contribution": 0.6287, "share": 0.1365},
                {"group": "source", "label": "Lead source", "contribution": -0.1683, "share": 0.0366}
              ],
              "explanation_json": {
                "feature_importance": {
                  "pricing_page_views": 0.1654,
                  "listing_views": 0.0163,
                  "saved_listings": 0.0871,
                  "email_opens": 0.0141,
                  "email_clicks": 0.0408,
                  "property_searches": 0.0114,
                  "days_since_last_activity": 0.1365,
                  "budget_to_price_ratio": 0.0572,
                  "call_sentiment": 0.1723,
                  "tour_requested": 0.1472,
                  "mortgage_preapproved": 0.1065,
                  "lead_source": 0.0366,
                  "property_type": 0.0085
                },
                "final_score": 47,
                "confidence": 0.765
              },
              "rerank": {"status": "disabled", "reason": "disabled", "multiplier": 1, "latency_ms": 0},
              "model": {"id": "realestate", "version": "2026.11.0", "role": "default"},
              "scored_at": "2026-11-23T00:01:32.621Z"
            }
              }
            },
            "schemas": {
              "LeadId": {
                "type": "string",
                "minLength": 1,
                "maxLength": 128,
                "pattern": "^[^\\u0000-\\u0020\\u007F/?#]+$",
                "description":
        "The lead's id in your CRM: 1–128 characters (limits.max_lead_id_chars), without spaces, control characters, `/`, `?` or `#`.",
                "examples": ["L-1001"]
              },
              "LeadFeatures": {
                "type": "object",
                "description": "Field name → value, named as the model's manifest names them (GET /v1/models lists fields, types, bounds, values).",
                "additionalProperties": {
                  "type": ["number", "boolean", "string", "null"],
                  "description": "A JSON scalar. null or absent = unknown. A wrong type, a number out of bounds or an unknown category gives 422."
                },
                "x-unknown-fields": "Names the model does not know: a warning in the response (limits.unknown_fields: warn, default) or 422 (reject).",
                "examples": [
                  {
                    "pricing_page_views": 6,
                    "listing_views": 48,
                    "saved_listings": 9,
                    "email_opens": 14,
                    "email_clicks": 5,
                    "property_searches": 31,
                    "days_since_last_activity": 2,
                    "budget_to_price_ratio": 1.08,
                    "call_sentiment": 0.6,
                    "tour_requested": true,
                    "mortgage_preapproved": false,
                    "lead_source": "zillow",
                    "property_type": "single_family"
                  }
                ]
              },
              "ScoreOptions": {
                "type": "object",
                "additionalProperties": false,
                "description": "Scoring options. In a batch, the batch's options apply to every lead and a lead's own options win.",
                "properties": {
                  "rerank": {
                    "type": "boolean",
                    "default": true,
                    "description": "Ask for the LLM rerank. None runs in this version: rerank.status is `disabled` (true) or `skipped` (false)."
                  },
                  "explain": {
                    "type": "boolean",
                    "default": true,
                    "description": "Return reasons, breakdown and explanation_json (TreeSHAP). false skips them and is faster."
                  },
                  "model": {
                    "type": "string",
                    "description": "Score with this loaded model: `id@version`, a version or an id (GET /v1/models). Unknown: 422.",
                    "examples": ["realestate@2026.11.0"]
                  }
                }
              },
              "ScoreRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": ["lead_id"],
                "description": "One lead. Keys other than lead_id, features, notes and options give 422.",
                "properties": {
                  "lead_id": {"$ref": "#/components/schemas/LeadId"},
                  "features": {
                    "anyOf": [{"$ref": "#/components/schemas/LeadFeatures"}, {"type": "null"}],
                    "description": "The lead's field values; absent or null = no values (fields the model requires then give 422)."
                  },
                  "notes": {
                    "type": ["string", "null"],
                    "maxLength": 4000,
                    "description": "Free text about the lead, at most limits.max_notes_chars (default 4,000) characters. Not used by the score."
                  },
                  "options": {"anyOf": [{"$ref": "#/components/schemas/ScoreOptions"}, {"type": "null"}]}
                },
                "examples": [
                  {
                    "lead_id": "L-1001",
                    "features": {
                      "pricing_page_views": 6,
                      "listing_views": 48,
                      "saved_listings": 9,
                      "email_opens": 14,
                      "email_clicks": 5,
                      "property_searches": 31,
                      "days_since_last_activity": 2,
                      "budget_to_price_ratio": 1.08,
                      "call_sentiment": 0.6,
                      "tour_requested": true,
                      "mortgage_preapproved": false,
                      "lead_source": "zillow",
                      "property_type": "single_family"
                    },
                    "notes": "Asked about school districts; wants to move before spring."
                  }
                ]
              },
              "Badge": {
                "type": "string",
                "enum": ["hot", "warm", "cold"],
                "description":
        "hot: score > hot_above; cold: score < cold_below; else warm. hot_above 80, cold_below 40 unless scoring.* or the manifest set them."
              },
              "Reason": {
                "type": "object",
                "required": ["field", "label", "value", "contribution", "direction", "text"],
                "description": "One input field's push on the score.",
                "properties": {
                  "field": {"type": "string", "description": "The input field name."},
                  "label": {"type": "string", "description": "The field's label from the manifest."},
                  "value": {
                    "type": ["number", "boolean", "string", "null"],
                    "description": "The lead's value; null when missing."
                  },
                  "contribution": {
                    "type": "number",
                    "description": "TreeSHAP contribution in log-odds, summed over the field's model columns (4 decimals)."
                  },
                  "direction": {
                    "type": "string",
                    "enum": ["up", "down"],
                    "description": "up: raises the score (contribution > 0); down: lowers it."
                  },
                  "text": {
                    "type": "string",
                    "description": "The manifest's reason sentence with {value} and {label} filled in."
                  }
                }
              },
              "GroupShare": {
                "type": "object",
                "required": ["group", "label", "contribution", "share"],
                "description": "The contributions of one manifest feature group, for a breakdown chart.",
                "properties": {
                  "group": {"type": "string", "description": "The group id from the manifest."},
                  "label": {"type": "string"},
                  "contribution": {
                    "type": "number",
                    "description": "The group's summed contribution in log-odds, signed (4 decimals)."
                  },
                  "share": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "The group's share of all absolute contributions (4 decimals)."
                  }
                }
              },
              "FieldIssue": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                  "field": {
                    "type": "string",
                    "description": "A dotted path: `lead_id`, `features.pricing_page_views`, `options.model`, `leads[2]`, `(body)`."
                  },
                  "message": {"type": "string", "description": "What is wrong and how to fix it."}
                }
              },
              "Rerank": {
                "type": "object",
                "required": ["status", "multiplier", "latency_ms"],
                "description":
        "The LLM step. score = clamp(round(100 × probability × multiplier)); on any fallback the multiplier is 1 and score = base_score.",
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": ["applied", "cached", "fallback", "disabled", "skipped"],
                    "description": "applied: the LLM's multiplier was accepted. cached: an accepted answer for identical input was reused from the cache (no call). fallback: see reason. disabled: no LLM configured. skipped: options.rerank false."
                  },
                  "reason": {
                    "type": "string",
                    "enum": [
                      "disabled", "skipped", "timeout", "connect_error", "rate_limited", "upstream_error", "client_error", "truncated",
                      "content_filter", "refusal", "invalid_json", "schema", "out_of_range", "breaker_open", "shed"
                    ],
                    "description": "Why the score was not adjusted (absent when applied)."
                  },
                  "multiplier": {"type": "number", "minimum": 0.8, "maximum": 1.2},
                  "reasoning": {"type": "string", "description": "The LLM's one-sentence reason (untrusted text; when applied)."},
                  "latency_ms": {"type": "number", "description": "Time spent in the LLM step (0 when no call was made)."},
                  "prompt": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "version": {"type": "string"}, "hash": {"type": "string", "description": "SHA-256 of the prompt file."}}
                  },
                  "llm_model": {"type": "string"}
                }
              },
              "ModelRef": {
                "type": "object",
                "required": ["id", "version", "role"],
                "description": "The model that scored the lead.",
                "properties": {
                  "id": {"type": "string", "examples": ["realestate"]},
                  "version": {"type": "string", "examples": ["2026.11.0"]},
                  "role": {
                    "type": "string",
                    "oneOf": [
                      {"const": "default", "description": "The configured default model (models.default)."},
                      {"const": "requested", "description": "The model named in options.model."},
                      {
                        "const": "challenger",
                        "description": "The challenger, for its share of lead ids (models.challenger_share)."
                      },
                      {
                        "const": "fallback",
                        "description": "The fallback, serving because the default model could not be loaded."
                      }
                    ]
                  }
                }
              },
              "ScoreResponse": {
                "type": "object",
                "required": [
                  "lead_id",
                  "score",
                  "base_score",
                  "probability",
                  "badge",
                  "base_badge",
                  "speakable",
                  "confidence",
                  "leaf_support",
                  "rerank",
                  "model",
                  "scored_at"
                ],
                "description": "One scored lead. reasons, breakdown and explanation_json appear only with options.explain (default true).",
                "properties": {
                  "lead_id": {"type": "string"},
                  "speakable": {
                    "type": "string",
                    "description": "One short sentence a voice agent can say: the badge and score, the strongest reason, and the question to ask next (the manifest's `question` of the field holding the lead back most, else its `default_question`)."
                  },
                  "score": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100,
                    "description": "The final score, 0–100, after the rerank; equals base_score while no rerank runs."
                  },
                  "base_score": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100,
                    "description": "The model's score: round(100 × probability), 0–100."
                  },
                  "probability": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "The model's conversion probability (6 decimals)."
                  },
                  "badge": {"$ref": "#/components/schemas/Badge", "description": "The badge of score."},
                  "base_badge": {"$ref": "#/components/schemas/Badge", "description": "The badge of base_score."},
                  "confidence": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "title": "How much training evidence backs the score (3 decimals); not how far probability is from 0.5",
                    "description": "1 / (1 + (h / s)^k), s = leaf_support, h and k = the manifest's confidence.half_support and steepness.",
                    "x-interpretation": "≈ the share of training leads backed by less evidence; near 0 = unlike the training data, near 1 = well covered."
                  },
                  "leaf_support": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "Geometric mean over the trees of cover(leaf) / cover(root) of the leaves the lead reached (5 decimals)."
                  },
                  "reasons": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Reason"},
                    "description": "The strongest fields (scoring.reasons, default 4): up to half up, half down, by absolute contribution."
                  },
                  "breakdown": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/GroupShare"},
                    "description": "One entry per manifest group, in manifest order."
                  },
                  "explanation_json": {
                    "type": "object",
                    "required": ["feature_importance", "final_score", "confidence"],
                    "properties": {
                      "feature_importance": {
                        "type": "object",
                        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
                        "description": "Every field's share of the absolute contributions, in manifest order; sums to 1 (4 decimals)."
                      },
                      "final_score": {"type": "integer", "minimum": 0, "maximum": 100, "description": "Equals score."},
                      "confidence": {"type": "number", "minimum": 0, "maximum": 1, "description": "Equals confidence."}
                    }
                  },
                  "rerank": {"$ref": "#/components/schemas/Rerank"},
                  "model": {"$ref": "#/components/schemas/ModelRef"},
                  "warnings": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/FieldIssue"},
                    "description": "Features the model does not know, ignored (limits.unknown_fields: warn). Absent when there are none."
                  },
                  "scored_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it was scored: UTC with milliseconds. The same for every lead of a batch."
                  }
                },
                "examples": [
                  {
                    "lead_id": "L-1001",
                    "score": 47,
                    "base_score": 47,
                    "probability": 0.473532,
                    "badge": "warm",
                    "base_badge": "warm",
                    "confidence": 0.765,
                    "leaf_support": 0.14308,
                    "reasons": [
                      {
                        "field": "call_sentiment",
                        "label": "Call sentiment",
                        "value": 0.6,
                        "contribution": 0.7932,
                        "direction": "up",
                        "text": "Positive tone on the last call"
                      },
                      {
                        "field": "pricing_page_views",
                        "label": "Pricing page views",
                        "value": 6,
                        "contribution": 0.7619,
                        "direction": "up",
                        "text": "Viewed the pricing page 6 times"
                      },
                      {
                        "field": "mortgage_preapproved",
                        "label": "Mortgage pre-approval",
                        "value": false,
                        "contribution": -0.4904,
                        "direction": "down",
                        "text": "Not pre-approved for a mortgage yet"
                      },
                      {
                        "field": "lead_source",
                        "label": "Lead source",
                        "value": "zillow",
                        "contribution": -0.1683,
                        "direction": "down",
                        "text": "Came in through zillow"
                      }
                    ],
                    "breakdown": [
                      {"group": "behavioral", "label": "Behavioral", "contribution": 1.8635, "share": 0.4276},
                      {"group": "engagement", "label": "Engagement", "contribution": 0.916, "share": 0.2271},
                      {"group": "market_fit", "label": "Market fit", "contribution": -0.1877, "share": 0.1722},
                      {"group": "timing", "label": "Timing", "contribution": 0.6287, "share": 0.1365},
                      {"group": "source", "label": "Lead source", "contribution": -0.1683, "share": 0.0366}
                    ],
                    "explanation_json": {
                      "feature_importance": {
                        "pricing_page_views": 0.1654,
                        "listing_views": 0.0163,
                        "saved_listings": 0.0871,
                        "email_opens": 0.0141,
                        "email_clicks": 0.0408,
                        "property_searches": 0.0114,
                        "days_since_last_activity": 0.1365,
                        "budget_to_price_ratio": 0.0572,
                        "call_sentiment": 0.1723,
                        "tour_requested": 0.1472,
                        "mortgage_preapproved": 0.1065,
                        "lead_source": 0.0366,
                        "property_type": 0.0085
                      },
                      "final_score": 47,
                      "confidence": 0.765
                    },
                    "rerank": {"status": "disabled", "reason": "disabled", "multiplier": 1, "latency_ms": 0},
                    "model": {"id": "realestate", "version": "2026.11.0", "role": "default"},
                    "scored_at": "2026-11-23T00:01:32.621Z"
                  }
                ]
              },
              "BatchRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": ["leads"],
                "properties": {
                  "leads": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ScoreRequest"},
                    "minItems": 1,
                    "maxItems": 10000,
                    "description": "1 to limits.max_batch_leads (default 10,000) leads. More: 413 batch-too-large."
                  },
                  "options": {
                    "allOf": [{"$ref": "#/components/schemas/ScoreOptions"}],
                    "description": "Defaults for every lead; a lead's own options win."
                  }
                }
              },
              "BatchError": {
                "type": "object",
                "required": ["index", "lead_id", "error"],
                "description": "A lead that could not be scored. The rest of the batch is scored.",
                "properties": {
                  "index": {"type": "integer", "minimum": 0, "description": "The lead's position in leads (0-based)."},
                  "lead_id": {
                    "type": ["string", "null"],
                    "description": "The lead's lead_id as sent; null when absent or not a string."
                  },
                  "error": {
                    "$ref": "#/components/schemas/Problem",
                    "description": "A 422 invalid-lead problem, without instance."
                  }
                }
              },
              "BatchResponse": {
                "type": "object",
                "required": ["count", "results", "scored", "failed"],
                "properties": {
                  "count": {"type": "integer", "minimum": 1, "description": "The number of leads sent."},
                  "results": {
                    "type": "array",
                    "items": {
                      "oneOf": [{"$ref": "#/components/schemas/ScoreResponse"}, {"$ref": "#/components/schemas/BatchError"}]
                    },
                    "description": "One entry per lead, in request order: a ScoreResponse or a BatchError."
                  },
                  "scored": {"type": "integer", "minimum": 0},
                  "failed": {"type": "integer", "minimum": 0}
                }
              },
              "ModelField": {
                "type": "object",
                "required": ["name", "type", "label", "required"],
                "properties": {
                  "name": {"type": "string", "description": "The key in features."},
                  "type": {
                    "type": "string",
                    "oneOf": [
                      {"const": "number", "description": "A number within min and max when given."},
                      {"const": "boolean", "description": "true or false."},
                      {"const": "one_hot", "description": "One of values (a string)."},
                      {
                        "const": "categorical",
                        "description": "One of values (a string; the categories come from the model file)."
                      }
                    ]
                  },
                  "label": {"type": "string"},
                  "group": {"type": "string", "description": "The id of the field's group; absent when it has none."},
                  "required": {"type": "boolean", "description": "When true, a lead without this field gets 422."},
                  "min": {"type": "number"},
                  "max": {"type": "number"},
                  "values": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "The allowed values (one_hot and categorical)."
                  }
                }
              },
              "Model": {
                "type": "object",
                "required": [
                  "id",
                  "version",
                  "description",
                  "roles",
                  "library",
                  "trees",
                  "columns",
                  "thresholds",
                  "loaded_at",
                  "groups",
                  "fields"
                ],
                "properties": {
                  "id": {"type": "string"},
                  "version": {"type": "string", "description": "options.model takes `id@version`, the version or the id."},
                  "description": {"type": "string"},
                  "roles": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["default", "challenger", "fallback"]},
                    "description": "default: scores leads that name no model (the fallback when degraded). Empty: only on request."
                  },
                  "challenger_share": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "Only on the challenger: the share of lead ids (by hash) it scores."
                  },
                  "library": {"type": "string", "enum": ["xgboost", "lightgbm"]},
                  "library_version": {"type": "string", "description": "The training library's version, when the model file records it."},
                  "trees": {"type": "integer", "minimum": 0},
                  "columns": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The model's feature columns (one-hot fields use several)."
                  },
                  "thresholds": {
                    "type": "object",
                    "required": ["hot_above", "cold_below"],
                    "description": "Badge thresholds: hot when score > hot_above, cold when score < cold_below.",
                    "properties": {
                      "hot_above": {"type": "integer", "minimum": 0, "maximum": 100},
                      "cold_below": {"type": "integer", "minimum": 0, "maximum": 100}
                    }
                  },
                  "loaded_at": {"type": "string", "format": "date-time"},
                  "groups": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["id", "label"],
                      "properties": {"id": {"type": "string"}, "label": {"type": "string"}}
                    }
                  },
                  "fields": {"type": "array", "items": {"$ref": "#/components/schemas/ModelField"}}
                }
              },
              "ModelList": {
                "type": "object",
                "required": ["models"],
                "properties": {"models": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}}
              },
              "ReloadResult": {
                "type": "object",
                "required": ["status", "generation", "models", "problems"],
                "properties": {
                  "status": {
                    "type": "string",
                    "oneOf": [
                      {"const": "reloaded", "description": "Every model folder loaded."},
                      {
                        "const": "reloaded_with_problems",
                        "description": "Some folders failed and keep their last good model; see problems."
                      }
                    ]
                  },
                  "generation": {"type": "integer", "minimum": 0, "description": "Counts successful reloads since start."},
                  "models": {"type": "array", "items": {"type": "string"}, "description": "The loaded models as `id@version`."},
                  "problems": {"type": "array", "items": {"type": "string"}, "description": "Why folders failed to load."}
                }
              },
              "Readiness": {
                "type": "object",
                "required": ["status", "models", "default_model", "degraded", "store"],
                "properties": {
                  "status": {"enum": ["ready", "degraded"]},
                  "models": {"type": "integer", "minimum": 1, "description": "The number of loaded models."},
                  "default_model": {"type": "string", "description": "The model scoring leads that name none, as `id@version`."},
                  "degraded": {
                    "type": "boolean",
                    "description": "true when the fallback serves because the default model failed to load."
                  },
                  "store": {
                    "type": "object",
                    "required": ["kind", "up", "seconds_in_state"],
                    "properties": {
                      "kind": {"enum": ["redis", "memory"]},
                      "up": {"type": "boolean", "description": "false while Redis does not answer: no cache, live scores from this process only."},
                      "detail": {"type": "string", "description": "The last error, while down."},
                      "seconds_in_state": {"type": "number"}
                    }
                  }
                }
              },
              "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
              "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "description": "An RFC 9457 problem, sent as application/problem+json for every 4xx and 5xx.",
                "properties": {
                  "type": {
                    "type": "string",
                    "format": "uri",
                    "description": "`urn:leadgate:problem:<slug>`, stable; see x-problem-types.",
                    "examples": ["urn:leadgate:problem:invalid-lead"]
                  },
                  "title": {"type": "string", "description": "A short summary of the kind of problem."},
                  "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
                  "detail": {"type": "string", "description": "What is wrong and what to do about it."},
                  "instance": {"type": "string", "description": "The request path. Absent in a batch's per-lead errors."},
                  "errors": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/FieldIssue"},
                    "description": "The fields at fault, for validation problems (422). Absent otherwise."
                  }
                },
                "x-problem-types": {
                  "urn:leadgate:problem:malformed-json": "400: the body is empty or not valid JSON.",
                  "urn:leadgate:problem:unauthenticated": "401: no valid credentials (auth.mode api_key or jwt).",
                  "urn:leadgate:problem:forbidden": "403: the credentials lack the route's scope.",
                  "urn:leadgate:problem:no-live-score": "404: this gateway holds no live score for the lead.",
                  "urn:leadgate:problem:not-found": "404: no such route (method and path).",
                  "urn:leadgate:problem:reload-failed": "409: the models were not reloaded; the previous models keep serving.",
                  "urn:leadgate:problem:body-too-large": "413: the body exceeds limits.max_body_bytes or limits.max_batch_body_bytes.",
                  "urn:leadgate:problem:batch-too-large": "413: the batch has more than limits.max_batch_leads leads.",
                  "urn:leadgate:problem:unsupported-media-type": "415: the Content-Type is not JSON.",
                  "urn:leadgate:problem:invalid-lead": "422: fields are missing, of the wrong type, out of bounds or unknown; see errors.",
                  "urn:leadgate:problem:internal": "500: an unexpected failure; detail names the request id.",
                  "urn:leadgate:problem:shutting-down": "503: the gateway is draining before it stops; retry (Retry-After: 1).",
                  "urn:leadgate:problem:http-<code>": "Any other HTTP error, named by its status code."
                }
              }
            },
            "responses": {
              "BadRequest": {
                "description": "The body is empty or not valid JSON (malformed-json).",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:malformed-json",
                      "title": "The body is not valid JSON",
                      "status": 400,
                      "detail": "The body is not valid JSON: The given data was not valid JSON.. Check quotes, commas and brackets.",
                      "instance": "/v1/leads/score"
                    }
                  }
                }
              },
              "Unauthorized": {
                "description": "No valid credentials (unauthenticated). Only with auth.mode api_key or jwt; with auth.mode none no route needs them.",
                "headers": {
                  "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
                  "WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}
                },
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:unauthenticated",
                      "title": "Authentication required",
                      "status": 401,
                      "detail": "No credentials. Send the API key in `X-API-Key` or `Authorization: Bearer <key>`.",
                      "instance": "/v1/leads/score"
                    }
                  }
                }
              },
              "Forbidden": {
                "description": "The credentials do not grant the route's scope (forbidden).",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:forbidden",
                      "title": "Missing scope",
                      "status": 403,
                      "detail": "This route needs the scope `crm.write.leads`; the credentials of `key:dashboard` do not grant it.",
                      "instance": "/v1/leads/score"
                    }
                  }
                }
              },
              "UnsupportedMediaType": {
                "description": "Content-Type is not JSON (unsupported-media-type). Send application/json (or any +json type, or no Content-Type).",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:unsupported-media-type",
                      "title": "The body must be JSON",
                      "status": 415,
                      "detail": "Content-Type is `text/plain`. Send the body as JSON with `Content-Type: application/json`.",
                      "instance": "/v1/leads/score"
                    }
                  }
                }
              },
              "Invalid": {
                "description": "Invalid fields (invalid-lead): lead_id, a feature's type or bounds, an unknown key, option or model. errors lists them.",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:invalid-lead",
                      "title": "The request has invalid fields",
                      "status": 422,
                      "detail": "`options.model` `zzz` is not a loaded model. Use one of: realestate@2026.11.0 (GET /v1/models).",
                      "instance": "/v1/leads/score",
                      "errors": [
                        {
                          "field": "options.model",
                          "message": "`zzz` is not a loaded model. Use one of: realestate@2026.11.0 (GET /v1/models)."
                        }
                      ]
                    }
                  }
                }
              },
              "StoreUnavailable": {
                "description": "Redis did not answer within redis.read_timeout_ms (store-unavailable), and this gateway has no copy of its own. Retry-After: 1.",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}, "Retry-After": {"schema": {"type": "integer"}}},
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:store-unavailable",
                      "title": "The store did not answer",
                      "status": 503,
                      "detail": "Could not read the live score: redis connect to redis://10.0.0.5:6379/0: Connection refused. Retry shortly; /readyz shows the store's state.",
                      "instance": "/v1/leads/L-1001/score"
                    }
                  }
                }
              },
              "Internal": {
                "description": "An unexpected failure (internal); detail names the request id.",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {
                  "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                      "type": "urn:leadgate:problem:internal",
                      "title": "Internal error",
                      "status": 500,
                      "detail":
        "The gateway failed to handle the request (request id req-42). It has been logged; retry, and report the id if it persists.",
                      "instance": "/v1/leads/score"
                    }
                  }
                }
              }
            },
            "parameters": {
              "RequestId": {
                "name": "X-Request-Id",
                "in": "header",
                "required": false,
                "description": "Your id for the request, echoed in the response and logs. Ignored unless it matches the pattern.",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}
              }
            },
            "headers": {
              "X-Request-Id": {
                "description": "On every response: the request's X-Request-Id when valid, else an id the gateway made. Logged as request_id.",
                "schema": {"type": "string"}
              },
              "WWW-Authenticate": {
                "description": "`Bearer realm=\"leadgate\", ApiKey header=\"X-API-Key\"` (auth.mode api_key) or `Bearer realm=\"leadgate\"` (jwt).",
                "schema": {"type": "string"}
              }
            },
            "securitySchemes": {
              "ApiKeyHeader": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "auth.mode api_key: a configured key; its scopes (auth.api_keys[].scopes) decide the routes it may call."
              },
              "BearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "API key or JWT",
                "description": "api_key mode: `Bearer <key>`. jwt mode: an HS256/RS256 JWT with exp; scopes from its scope, scp or scopes claim."
              },
              "VapiSecret": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Vapi-Secret",
                "description": "/v1/integrations/vapi only, when LEADGATE_VAPI_SECRET is set: the same value."
              },
              "RetellSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Retell-Signature",
                "description": "/v1/integrations/retell only, when LEADGATE_RETELL_API_KEY is set: v=<unix ms>,d=<hex HMAC-SHA256(api key, body + ms)>."
              }
            }
          }
        }
        """#
}
