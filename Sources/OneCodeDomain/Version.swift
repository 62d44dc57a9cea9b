/// The version of this build of OneCode: `onecode --version`, `/healthz` and the `onecode_build_info` metric say it.
public enum OneCodeVersion {
    public static let current = "0.3.0"
}
