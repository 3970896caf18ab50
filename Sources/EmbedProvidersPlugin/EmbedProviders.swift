import Foundation
import PackagePlugin

/// Build-tool plugin: turns `providers/*.yaml` into Swift source compiled into the `Carrier`
/// library, so the library and every binary built from it carry the built-in providers (a copied
/// binary has no folder beside it, and a resource bundle would not travel with it).
@main
struct EmbedProviders: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "providers")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { ["yaml", "yml"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltInProviders.swift")
        return [.buildCommand(displayName: "Embedding \(files.count) provider files",
                              executable: try context.tool(named: "CarrierEmbed").url,
                              arguments: [output.path] + files.map(\.path),
                              inputFiles: files, outputFiles: [output])]
    }
}
