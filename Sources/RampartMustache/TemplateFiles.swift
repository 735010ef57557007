import Foundation

/// Lists and reads template files for ``SafeMustache``.
enum TemplateFiles {
    static func list(directory: String, fileExtension: String) throws -> [(name: String, path: String)] {
        let base = URL(fileURLWithPath: directory).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var result: [(String, String)] = []
        for case let url as URL in enumerator where url.pathExtension == fileExtension {
            let relative = url.standardizedFileURL.path.dropFirst(base.path.count + 1)
            result.append((String(relative.dropLast(fileExtension.count + 1)), url.path))
        }
        return result
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }
}
