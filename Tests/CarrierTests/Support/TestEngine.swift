import CarrierCurl

/// The engine tests use to talk to their own servers (control routes, plain requests).
let testEngine = CurlEngine()
