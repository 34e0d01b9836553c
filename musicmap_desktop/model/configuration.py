"""Musicnn's audio constants, once (as musicnn's own ``configuration.py``).

Everything that cuts, decodes or feeds audio to the network reads them from here:
the window planner (core/windows.py), the decoder, the log-mel front-end
(model/melspec.py) and the ONNX export (a test ties the graph's input to them).
"""
SR = 16000  # Musicnn hears 16 kHz mono
N_FFT = 512  # STFT size (Hann window)
HOP = 256  # STFT hop: one mel frame every 16 ms
N_MELS = 96  # Slaney mel bands
WINDOW_FRAMES = 187  # one window: 3 s = librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
# Samples whose uncentred STFT gives exactly one window's frames (core/windows.py explains it).
WINDOW_SEGMENT = (WINDOW_FRAMES - 1) * HOP + N_FFT  # 48128
