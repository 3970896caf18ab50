// Each layer re-exports the one below it: a file imports only its own layer's neighbour.
@_exported import CarrierEvents
