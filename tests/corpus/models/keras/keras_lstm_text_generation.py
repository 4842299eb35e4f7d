from keras.models import Sequential
from keras.layers import Dense
from keras.layers import LSTM

maxlen = 40
step = 3

model = Sequential()
model.add(LSTM(128, input_shape=(maxlen, len(chars))))
model.add(Dense(len(chars), activation='softmax'))
