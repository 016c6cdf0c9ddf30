"""Render a posed body in a simple room: moderngl (headless EGL) or an OpenCV fallback.

World frame (metres): +y up, floor at y = 0; the standing person faces +z and their
left is +x. A lying person lies on their back with the head towards -z.

Camera azimuth is measured around the vertical axis from the person's *operated*
side: 0 = side view of the operated flank (camera perpendicular to the body's
facing direction), +90 = in front of the person (standing: person faces the camera;
lying: at the feet), -90 = behind; +30 = oblique, front of the operated side.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at ``target`` from ``distance_m`` (horizontal) at ``height_m``.

    ``lateral`` is the unit world vector towards the operated flank (+x left, -x right).
    """

    azimuth_deg: float
    distance_m: float
    height_m: float
    target: tuple[float, float, float]
    lateral: tuple[float, float, float] = (1.0, 0.0, 0.0)
    fov_deg: float = 45.0
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def position(self) -> np.ndarray:
        """Camera centre (3,) in world coordinates."""
        a = np.radians(self.azimuth_deg)
        d = np.cos(a) * np.asarray(self.lateral) + np.sin(a) * np.array([0.0, 0.0, 1.0])
        t = np.asarray(self.target, dtype=float)
        r = self.distance_m
        return np.array([t[0] + r * d[0], self.height_m, t[2] + r * d[2]])

    def view(self) -> np.ndarray:
        """World -> camera (4, 4) matrix (OpenGL convention, camera looks down -z)."""
        eye = self.position
        f = np.asarray(self.target, dtype=float) - eye
        f /= np.linalg.norm(f)
        r = np.cross(f, [0.0, 1.0, 0.0])
        r /= np.linalg.norm(r)
        u = np.cross(r, f)
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = r, u, -f
        m[:3, 3] = -m[:3, :3] @ eye
        return m

    def projection(self, near: float = 0.05, far: float = 50.0) -> np.ndarray:
        """Perspective (4, 4) matrix."""
        f = 1.0 / np.tan(np.radians(self.fov_deg) / 2)
        aspect = self.width / self.height
        p = np.zeros((4, 4))
        p[0, 0], p[1, 1] = f / aspect, f
        p[2, 2] = (far + near) / (near - far)
        p[2, 3] = 2 * far * near / (near - far)
        p[3, 2] = -1.0
        return p

    def intrinsics(self) -> np.ndarray:
        """Pixel intrinsic matrix K (3, 3)."""
        fy = (self.height / 2) / np.tan(np.radians(self.fov_deg) / 2)
        return np.array([[fy, 0, self.width / 2], [0, fy, self.height / 2], [0, 0, 1.0]])

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project world points (..., 3) to pixels (..., 2) and camera depth (...)."""
        v = self.view()
        cam = pts @ v[:3, :3].T + v[:3, 3]
        depth = -cam[..., 2]
        k = self.intrinsics()
        x = k[0, 0] * cam[..., 0] / depth + k[0, 2]
        y = -k[1, 1] * cam[..., 1] / depth + k[1, 2]
        return np.stack([x, y], axis=-1), depth


@dataclass(frozen=True)
class Scene:
    """Static scene triangles: ``verts`` (N, 3), ``normals`` (N, 3), ``colors`` (N, 3) in 0..1.

    Every three consecutive vertices form one triangle, listed back to front (floor,
    wall, bed) so a painter can draw them in list order.
    """

    verts: np.ndarray
    normals: np.ndarray
    colors: np.ndarray


def _quad(corners: np.ndarray, color: tuple[float, float, float]) -> list[tuple]:
    a, b, c, d = corners
    n = np.cross(b - a, d - a)
    n = n / np.linalg.norm(n)
    return [(p, n, color) for p in (a, b, c, a, c, d)]


def _box(lo: np.ndarray, hi: np.ndarray, color: tuple[float, float, float]) -> list[tuple]:
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    p = np.array
    out: list[tuple] = []
    dark = tuple(0.8 * c for c in color)
    out += _quad(p([[x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]]), dark)
    out += _quad(p([[x1, y0, z0], [x0, y0, z0], [x0, y1, z0], [x1, y1, z0]]), dark)
    out += _quad(p([[x1, y0, z1], [x1, y0, z0], [x1, y1, z0], [x1, y1, z1]]), dark)
    out += _quad(p([[x0, y0, z0], [x0, y0, z1], [x0, y1, z1], [x0, y1, z0]]), dark)
    out += _quad(p([[x0, y1, z0], [x0, y1, z1], [x1, y1, z1], [x1, y1, z0]]), color)  # top last
    return out


Box = tuple[np.ndarray, np.ndarray, tuple[float, float, float]]
"""An axis-aligned box: low corner (3,), high corner (3,), colour (RGB, 0..1)."""


def make_scene(camera: Camera, bed: tuple[np.ndarray, np.ndarray] | None = None,
               floor_rgb: tuple[float, float, float] = (0.62, 0.55, 0.47),
               wall_rgb: tuple[float, float, float] = (0.84, 0.85, 0.80),
               props: tuple[Box, ...] = ()) -> Scene:
    """Build the room: floor, a wall behind the person (facing the camera), a bed.

    ``props``: furniture boxes (the OpenCV painter draws them behind the body).
    """
    items: list[tuple] = []
    t = np.asarray(camera.target, dtype=float)
    back = t - camera.position
    back[1] = 0
    back /= np.linalg.norm(back)
    side = np.cross([0.0, 1.0, 0.0], back)
    c = np.array([t[0], 0, t[2]]) + 1.8 * back
    # Floor tiles on the camera's side of the wall (tiled so the OpenCV painter can drop
    # tiles behind the camera without losing the floor).
    for x0 in np.arange(-8.0, 8.0, 0.5):
        for z0 in np.arange(-8.0, 8.0, 0.5):
            if np.dot(np.array([x0 + 0.25, 0.0, z0 + 0.25]) - c, back) > 0.35:
                continue
            items += _quad(np.array([[x0, 0, z0], [x0, 0, z0 + 0.5], [x0 + 0.5, 0, z0 + 0.5],
                                     [x0 + 0.5, 0, z0]]), floor_rgb)
    w = 7.0
    up = np.array([0.0, 3.2, 0.0])
    corners = np.array([c - w * side, c + w * side, c + w * side + up, c - w * side + up])
    quad = _quad(corners, wall_rgb)
    if np.dot(quad[0][1], back) > 0:
        corners = corners[[1, 0, 3, 2]]
        quad = _quad(corners, wall_rgb)
    items += quad
    skirt = (0.55, 0.56, 0.52)
    items += _quad(np.array([corners[0], corners[1], corners[1] + [0, 0.12, 0],
                             corners[0] + [0, 0.12, 0]]) - 0.01 * back, skirt)
    if bed is not None:
        lo, hi = bed
        items += _box(np.array([lo[0], 0.0, lo[2]]), np.array([hi[0], hi[1] - 0.12, hi[2]]),
                      (0.35, 0.30, 0.28))
        items += _box(np.array([lo[0], hi[1] - 0.12, lo[2]]), hi, (0.80, 0.86, 0.92))
    for lo, hi, rgb in props:
        items += _box(np.asarray(lo, float), np.asarray(hi, float), rgb)
    verts = np.array([i[0] for i in items], dtype=np.float32)
    normals = np.array([i[1] for i in items], dtype=np.float32)
    colors = np.array([i[2] for i in items], dtype=np.float32)
    return Scene(verts, normals, colors)


_VS = """
#version 330
uniform mat4 mvp;
in vec3 in_pos; in vec3 in_normal; in vec3 in_color;
out vec3 v_normal; out vec3 v_color; out vec3 v_pos;
void main() { gl_Position = mvp * vec4(in_pos, 1.0); v_normal = in_normal; v_color = in_color;
              v_pos = in_pos; }
"""
_FS = """
#version 330
uniform vec3 light_dir; uniform vec3 eye;
in vec3 v_normal; in vec3 v_color; in vec3 v_pos;
out vec4 f_color;
void main() {
  vec3 n = normalize(v_normal);
  vec3 v = normalize(eye - v_pos);
  if (dot(n, v) < 0.0) n = -n;
  float diff = max(dot(n, light_dir), 0.0);
  float fill = max(dot(n, v), 0.0);
  vec3 c = v_color * (0.30 + 0.55 * diff + 0.25 * fill);
  f_color = vec4(pow(clamp(c, 0.0, 1.0), vec3(1.0 / 1.1)), 1.0);
}
"""


def light_direction(camera: Camera) -> np.ndarray:
    """Key light from above, slightly from the camera's side (unit (3,))."""
    d = camera.position - np.asarray(camera.target)
    d[1] = 0
    d /= np.linalg.norm(d)
    side = np.cross([0.0, 1.0, 0.0], d)
    v = 0.6 * d + 0.35 * side + np.array([0.0, 1.0, 0.0])
    return v / np.linalg.norm(v)


class GLRenderer:
    """Headless moderngl renderer (EGL) of one body mesh plus a static scene."""

    def __init__(self, tris: np.ndarray, colors: np.ndarray, scene: Scene, camera: Camera,
                 samples: int = 4) -> None:
        import moderngl

        self.ctx = moderngl.create_context(standalone=True, backend="egl")
        self.camera = camera
        w, h = camera.width, camera.height
        self.prog = self.ctx.program(vertex_shader=_VS, fragment_shader=_FS)
        mvp = (camera.projection() @ camera.view()).astype("f4")
        self.prog["mvp"].write(mvp.T.tobytes())
        self.prog["light_dir"].value = tuple(light_direction(camera))
        self.prog["eye"].value = tuple(camera.position)
        n_v = len(colors)
        self.pos_buf = self.ctx.buffer(reserve=n_v * 12, dynamic=True)
        self.nrm_buf = self.ctx.buffer(reserve=n_v * 12, dynamic=True)
        col_buf = self.ctx.buffer(colors.astype("f4").tobytes())
        ibo = self.ctx.buffer(tris.astype("i4").tobytes())
        self.body_vao = self.ctx.vertex_array(
            self.prog,
            [(self.pos_buf, "3f", "in_pos"), (self.nrm_buf, "3f", "in_normal"),
             (col_buf, "3f", "in_color")],
            index_buffer=ibo,
        )
        sv = self.ctx.buffer(scene.verts.astype("f4").tobytes())
        sn = self.ctx.buffer(scene.normals.astype("f4").tobytes())
        sc = self.ctx.buffer(scene.colors.astype("f4").tobytes())
        self.scene_vao = self.ctx.vertex_array(
            self.prog, [(sv, "3f", "in_pos"), (sn, "3f", "in_normal"), (sc, "3f", "in_color")]
        )
        self.msaa = self.ctx.framebuffer(
            color_attachments=[self.ctx.renderbuffer((w, h), samples=samples)],
            depth_attachment=self.ctx.depth_renderbuffer((w, h), samples=samples),
        )
        self.out = self.ctx.framebuffer(color_attachments=[self.ctx.renderbuffer((w, h))])

    def render(self, verts: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Return an RGB image (H, W, 3) uint8 of the body posed at ``verts`` (V, 3)."""
        import moderngl

        self.pos_buf.write(verts.astype("f4").tobytes())
        self.nrm_buf.write(normals.astype("f4").tobytes())
        self.msaa.use()
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.clear(0.8, 0.8, 0.8, 1.0)
        self.scene_vao.render(moderngl.TRIANGLES)
        self.body_vao.render(moderngl.TRIANGLES)
        self.ctx.copy_framebuffer(self.out, self.msaa)
        raw = self.out.read(components=3)
        img = np.frombuffer(raw, dtype=np.uint8).reshape(self.camera.height, self.camera.width, 3)
        return np.ascontiguousarray(img[::-1])

    def release(self) -> None:
        """Free the GL context."""
        self.ctx.release()


class CVRenderer:
    """Pure OpenCV painter's-algorithm renderer (no GL needed; slower, flat-shaded)."""

    def __init__(self, tris: np.ndarray, colors: np.ndarray, scene: Scene, camera: Camera) -> None:
        self.tris = tris
        self.colors = colors
        self.scene = scene
        self.camera = camera
        self.light = light_direction(camera)
        self.background = self._paint(
            np.full((camera.height, camera.width, 3), 204, np.uint8),
            scene.verts.reshape(-1, 3, 3), scene.normals[::3], scene.colors[::3], cull=False,
            sort=False,
        )

    def _paint(self, img: np.ndarray, tri_pts: np.ndarray, normals: np.ndarray,
               colors: np.ndarray, cull: bool, sort: bool = True) -> np.ndarray:
        cam = self.camera
        eye = cam.position
        centers = tri_pts.mean(axis=1)
        view = eye - centers
        view /= np.linalg.norm(view, axis=1, keepdims=True)
        facing = np.sum(normals * view, axis=1)
        n = np.where(facing[:, None] < 0, -normals, normals)
        keep = facing > 0 if cull else np.ones(len(normals), bool)
        px, depth = cam.project(tri_pts)
        keep &= np.all(depth > 0.05, axis=1)
        diff = np.clip(n @ self.light, 0, None)
        fill = np.clip(np.sum(n * view, axis=1), 0, None)
        shade = colors * (0.30 + 0.55 * diff + 0.25 * fill)[:, None]
        rgb = (255 * np.clip(shade, 0, 1) ** (1 / 1.1)).astype(np.int32)
        order = np.argsort(-depth.mean(axis=1)) if sort else np.arange(len(tri_pts))
        pts = np.round(px * 16).astype(np.int32)
        for i in order:
            if keep[i]:
                cv2.fillConvexPoly(img, pts[i], rgb[i].tolist(), cv2.LINE_AA, 4)
        return img

    def render(self, verts: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Return an RGB image (H, W, 3) uint8 of the body posed at ``verts`` (V, 3)."""
        tri_pts = verts[self.tris]
        fn = np.cross(tri_pts[:, 1] - tri_pts[:, 0], tri_pts[:, 2] - tri_pts[:, 0])
        fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-12)
        col = self.colors[self.tris].mean(axis=1)
        return self._paint(self.background.copy(), tri_pts, fn, col, cull=True)

    def release(self) -> None:
        """Nothing to free."""


def make_renderer(tris: np.ndarray, colors: np.ndarray, scene: Scene, camera: Camera,
                  backend: str = "auto", msaa: int = 4) -> GLRenderer | CVRenderer:
    """Return a GL renderer when EGL works (``auto``/``gl``), else the OpenCV one.

    ``msaa``: the GL renderer's anti-aliasing samples (0 = none).
    """
    if backend in ("auto", "gl"):
        try:
            return GLRenderer(tris, colors, scene, camera, samples=msaa)
        except Exception as exc:  # noqa: BLE001 - any GL/EGL failure means: fall back
            if backend == "gl":
                raise RuntimeError(f"moderngl/EGL rendering unavailable: {exc}") from exc
    return CVRenderer(tris, colors, scene, camera)
